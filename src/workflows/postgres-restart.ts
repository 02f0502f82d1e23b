// Postgres Restart: a rolling restart in the safe order (standbys first, then a switchover or the
// primary's restart) with the same per-Pod checks as an update: pause → restart each Pod
// (UID-tracked, so a retry never restarts a Pod twice) → sync check → resume.
import type { RestartPlan } from '../activities/validate.ts';
import { operationViews } from './operations.ts';
import { rollPostgresMembers } from './postgres-steps.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function postgresRestart(input: OpsInput): Promise<OpsResult> {
  return runOperation<RestartPlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresRestart,
    progressing: (plan) => `restarting ${plan.database}`,
    body: (ops, plan) => rollPostgresMembers(ops, plan),
    success: (plan) => `${plan.database} restarted, ${plan.pods.length} Pod(s)`,
  });
}
