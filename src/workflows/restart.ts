// SingleStore and ProxySQL Restart: a rolling restart in the engine's safe order, each Pod replaced
// once (UID-tracked: a retried step finds the Pod already replaced and leaves it) and checked before
// the next. SingleStore: leaves, child aggregators, the master aggregator last, the cluster check
// through the master after each. ProxySQL: one member at a time (<name>-0 last), each reporting the
// running version with every member's config checksums agreeing (ProxySQL Cluster in sync).
import type { ProxySQLRestartPlan, SdbRestartPlan } from '../activities/restart-validate.ts';
import { rollPodStep } from './ops-steps.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';
import { rollSingleStorePod } from './singlestore-steps.ts';

export function singlestoreRestart(input: OpsInput): Promise<OpsResult> {
  return runOperation<SdbRestartPlan>(input, {
    database: 'SingleStore',
    view: operationViews.singlestoreRestart,
    progressing: (plan) => `restarting ${plan.database}`,
    body: async (ops, plan) => {
      for (const p of plan.pods) await rollSingleStorePod(ops, p.statefulSet, p.pod, { restartUid: plan.uids[p.pod] });
    },
    success: (plan) => `${plan.database} restarted, ${plan.pods.length} Pod(s)`,
  });
}

export function proxysqlRestart(input: OpsInput): Promise<OpsResult> {
  return runOperation<ProxySQLRestartPlan>(input, {
    database: 'ProxySQL',
    view: operationViews.proxysqlRestart,
    progressing: (plan) => `restarting ${plan.database}`,
    body: async (ops, plan) => {
      const { long, input: i, dbRef } = ops;
      for (const pod of plan.pods) {
        await rollPodStep(ops, plan.statefulSet, pod, () => long.checkProxySQLMember(i.namespace, dbRef.name, pod, plan.version), plan.uids[pod]);
      }
    },
    success: (plan) => `${plan.database} restarted, ${plan.pods.length} member(s)`,
  });
}
