// VerticalScaling (KubeDB's spec.verticalScaling.<role>.resources) for Postgres, SingleStore and
// ProxySQL: validate (quantities, requests ≤ limits, the role keys; no change) → its turn → pause →
// per role, the new resources in the database spec and the StatefulSet's Pod template → roll every
// Pod of those roles onto the new template with the engine's rolling (Postgres: standbys →
// Switchover → the old primary; SingleStore: leaves, aggregators, the master last; ProxySQL: one
// member at a time, cluster sync checked) → resume.
import type { RoleChange } from '../engines/resources.ts';
import type { PgVerticalScalingPlan, ProxySQLVerticalScalingPlan, SdbVerticalScalingPlan } from '../activities/vertical-scaling.ts';
import { describeVerticalScaling } from '../engines/resources.ts';
import { rollPodStep, type OpsContext } from './ops-steps.ts';
import { operationViews } from './operations.ts';
import { rollPostgresMembers } from './postgres-steps.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';
import { rollSingleStorePod } from './singlestore-steps.ts';

/** UpdateResources-<role>: the database spec first, then the StatefulSet (a new update revision). */
async function updateResources(ops: OpsContext, changes: RoleChange[]): Promise<void> {
  for (const c of changes) {
    await ops.t.step(`UpdateResources-${c.role}`, () => ops.short.applyContainerResources(ops.dbRef, c),
      (rev) => `${describeVerticalScaling([c])}; ${c.specPath} and StatefulSet ${c.statefulSet} (revision ${rev})`);
  }
}

const scaled = (plan: { database: string; changes: RoleChange[]; pods: unknown[] }) =>
  `${plan.database} scaled (${describeVerticalScaling(plan.changes)}), ${plan.pods.length} Pod(s) rolled`;

export function postgresVerticalScaling(input: OpsInput): Promise<OpsResult> {
  return runOperation<PgVerticalScalingPlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresVerticalScaling,
    progressing: (plan) => `scaling ${plan.database}`,
    body: async (ops, plan) => {
      await updateResources(ops, plan.changes);
      await rollPostgresMembers(ops, plan);
    },
    success: scaled,
  });
}

export function singlestoreVerticalScaling(input: OpsInput): Promise<OpsResult> {
  return runOperation<SdbVerticalScalingPlan>(input, {
    database: 'SingleStore',
    view: operationViews.singlestoreVerticalScaling,
    progressing: (plan) => `scaling the ${plan.changes.map((c) => c.role).join(' and ')} nodes of ${plan.database}`,
    body: async (ops, plan) => {
      await updateResources(ops, plan.changes);
      for (const p of plan.pods) await rollSingleStorePod(ops, p.statefulSet, p.pod);
    },
    success: scaled,
  });
}

export function proxysqlVerticalScaling(input: OpsInput): Promise<OpsResult> {
  return runOperation<ProxySQLVerticalScalingPlan>(input, {
    database: 'ProxySQL',
    view: operationViews.proxysqlVerticalScaling,
    progressing: (plan) => `scaling ${plan.database}`,
    body: async (ops, plan) => {
      await updateResources(ops, plan.changes);
      const { long, input: i, dbRef } = ops;
      for (const pod of plan.pods) await rollPodStep(ops, plan.statefulSet, pod, () => long.checkProxySQLMember(i.namespace, dbRef.name, pod, plan.version));
    },
    success: scaled,
  });
}
