// Postgres Restart: a rolling restart in the safe order (standbys first, then a switchover or the
// primary's restart) with the same per-Pod checks as an update: pause → restart each Pod
// (UID-tracked, so a retry never restarts a Pod twice) → sync check → resume.
import type { OpsInput, OpsResult } from './shared.ts';
import { admit, conclude, postgresOps, rollPostgresMembers, whilePaused } from './postgres-steps.ts';
import { postgresRestartSteps } from './plans.ts';

export async function postgresRestart(input: OpsInput): Promise<OpsResult> {
  const ops = postgresOps(input);
  const { t, short, dbRef } = ops;
  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validatePostgresRestart(input),
    (r) => (r.outcome === 'Proceed' ? `restart ${r.plan.pods.join(', ')}` : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  t.plan(postgresRestartSteps(plan));
  const refused = await admit(ops);
  if (refused) return refused;
  await t.setPhase('Progressing', `restarting ${dbRef.name}`);
  const failure = await whilePaused(ops, async () => {
    await rollPostgresMembers(ops, plan);
  });
  return conclude(ops, failure, `${dbRef.name} restarted, ${plan.pods.length} Pod(s)`);
}
