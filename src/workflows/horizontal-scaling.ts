// HorizontalScaling: validate (no change) → its turn → pause → (Postgres, when the primary would be
// removed: the Switchover step first) → the StatefulSet's new size, recorded as what runs → each new
// member Ready, or each removed member gone → Postgres: the removed members' replication slots
// dropped and every standby streaming in sync; ProxySQL: the cluster sees exactly the members wanted
// with agreeing checksums → resume. Removed members' PVCs are kept (whenScaled: Retain).
import type { PostgresScalePlan, ProxySQLScalePlan, SingleStoreScalePlan } from '../activities/horizontal-scaling.ts';
import { memberNames, type ScaleChange } from '../engines/horizontal-scaling.ts';
import type { OpsContext } from './ops-steps.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

async function scaleMembers(ops: OpsContext, c: ScaleChange, step = 'ScaleStatefulSet'): Promise<void> {
  const { t, long, dbRef } = ops;
  // A long step (liveness heartbeats): retried ~9 s after its worker died, not after a minute.
  await t.step(step, () => long.scaleStatefulSet(dbRef, { statefulSet: c.statefulSet, field: c.field, from: c.from, to: c.to }));
  for (const pod of c.added) await t.step(`AddMember-${pod}`, () => long.waitMemberReady(dbRef, pod));
  for (const pod of c.removed) await t.step(`RemoveMember-${pod}`, () => long.waitMemberGone(dbRef.namespace, pod));
}

const progressing = (p: ScaleChange & { database: string }) => `scaling ${p.database} from ${p.from} to ${p.to} member(s)`;
const success = (p: ScaleChange & { database: string }) => `${p.database} runs ${p.to} member(s)`;

export function postgresHorizontalScaling(input: OpsInput): Promise<OpsResult> {
  return runOperation<PostgresScalePlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresHorizontalScaling,
    progressing,
    body: async (ops, plan) => {
      const { t, long, critical, dbRef } = ops;
      const target = plan.switchoverTo;
      if (target) {
        await t.step('Switchover', () => critical.switchoverPostgres(dbRef.namespace, dbRef.name, plan.primary, target),
          () => `${target} is the primary; ${plan.primary}, removed next, rejoined as a standby`);
      }
      await scaleMembers(ops, plan);
      if (plan.removed.length) await t.step('DropReplicationSlots', () => long.dropPostgresSlots(dbRef.namespace, dbRef.name, plan.removed));
      await t.step('CheckSync', () => long.checkPostgresSync(dbRef.namespace, dbRef.name, undefined, plan.standbys));
    },
    success,
  });
}

export function proxysqlHorizontalScaling(input: OpsInput): Promise<OpsResult> {
  return runOperation<ProxySQLScalePlan>(input, {
    database: 'ProxySQL',
    view: operationViews.proxysqlHorizontalScaling,
    progressing,
    body: async (ops, plan) => {
      const { t, long, dbRef } = ops;
      await scaleMembers(ops, plan);
      await t.step('CheckCluster', () => long.checkProxySQLCluster(dbRef.namespace, dbRef.name, memberNames(plan.statefulSet, plan.to)));
    },
    success,
  });
}

export function singlestoreHorizontalScaling(input: OpsInput): Promise<OpsResult> {
  return runOperation<SingleStoreScalePlan>(input, {
    database: 'SingleStore',
    view: operationViews.singlestoreHorizontalScaling,
    progressing: (p) => `scaling ${p.database}: ${p.changes.map((c) => `${c.role} ${c.from} → ${c.to}`).join(', ')}`,
    body: async (ops, plan) => {
      const { t, long, dbRef } = ops;
      for (const c of plan.changes) {
        // Leaves the cluster first (a real SingleStore moves the leaf's partitions away), then the Pod goes.
        for (const pod of c.removed) await t.step(`LeaveCluster-${pod}`, () => long.removeSingleStoreMember(dbRef.namespace, dbRef.name, c.role, pod));
        await scaleMembers(ops, c, `ScaleStatefulSet-${c.statefulSet}`);
      }
      await t.step('CheckCluster', () => long.checkSingleStoreHealth(dbRef.namespace, dbRef.name, { members: plan.members }));
    },
    success: (p) => `${p.database} runs ${p.members.aggregators.length} aggregator(s) and ${p.members.leaves.length} leaf/leaves`,
  });
}
