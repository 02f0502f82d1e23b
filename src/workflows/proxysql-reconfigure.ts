// ProxySQL Reconfigure (mysqlUsers, mysqlQueryRules, adminVariables, mysqlVariables): validate the
// request (no change) → wait for its turn → check it against the members' current config (so a
// request queued behind another one sees that one's result; still no change) → pause → apply
// through one member's admin interface (idempotent) → check every member's runtime and checksums
// (ProxySQL Cluster spreads it; members save it to disk, so a re-created member keeps it) → resume.
// The input has the passwords redacted; the activities read them from the OpsRequest.
import { admit, conclude, opsContext, whilePaused } from './ops-steps.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export async function proxysqlReconfigure(input: OpsInput): Promise<OpsResult> {
  const ops = opsContext(input, 'ProxySQL');
  const { t, short, long, dbRef } = ops;

  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validateProxySQLReconfigure(input),
    (r) => (r.outcome === 'Proceed' ? r.plan.summary : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  t.plan(['WaitForTurn', 'CheckCurrentConfig', 'PauseDatabase', 'ApplyConfiguration', 'VerifyConfiguration', 'ResumeDatabase']);

  const refused = await admit(ops);
  if (refused) return refused;
  const problems = await t.step('CheckCurrentConfig', () => short.checkProxySQLCurrentConfig(input),
    (p) => (p.length ? p.join('; ') : 'consistent with the current config of the members'));
  if (problems.length) return ops.finish('Failed', problems.join('; '));
  await t.setPhase('Progressing', `reconfiguring ${dbRef.name}: ${plan.summary}`);

  const failure = await whilePaused(ops, async () => {
    // A long (heartbeating) activity: a worker that dies mid-apply is noticed within the heartbeat
    // timeout and the retry runs the idempotent statements again.
    await t.step('ApplyConfiguration', () => long.applyProxySQLConfiguration(input, plan.members),
      (member) => `applied on ${member} (memory → runtime → disk)`);
    await t.step('VerifyConfiguration', () => long.verifyProxySQLConfiguration(input));
  });
  return conclude(ops, failure, `${dbRef.name} reconfigured: ${plan.summary}`);
}
