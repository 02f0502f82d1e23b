// Postgres Restart: a rolling restart in the safe order (standbys first, the primary last) with the
// same per-Pod checks as an update: pause → restart each Pod (UID-tracked, so a retry never
// restarts a Pod twice) → sync check → resume.
import type { RestartPlan } from '../activities/validate.ts';
import { rollPostgresPod } from './postgres-steps.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function postgresRestart(input: OpsInput): Promise<OpsResult> {
  return runOperation<RestartPlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresRestart,
    progressing: (plan) => `restarting ${plan.database}`,
    body: async (ops, plan) => {
      for (const pod of plan.pods) await rollPostgresPod(ops, plan.statefulSet, pod, { restartUid: plan.uids[pod] });
    },
    success: (plan) => `${plan.database} restarted, ${plan.pods.length} Pod(s)`,
  });
}
