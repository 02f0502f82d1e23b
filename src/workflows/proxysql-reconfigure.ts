// ProxySQL Reconfigure (mysqlUsers, mysqlQueryRules, adminVariables, mysqlVariables): validate the
// request (no change) → wait for its turn → check it against the members' current config (so a
// request queued behind another one sees that one's result; still no change) → pause → apply
// through one member's admin interface (idempotent) → check every member's runtime and checksums
// (ProxySQL Cluster spreads it; members save it to disk, so a re-created member keeps it) → resume.
// The input has the passwords redacted; the activities read them from the OpsRequest.
import type { ProxySQLReconfigurePlan } from '../activities/proxysql-validate.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function proxysqlReconfigure(input: OpsInput): Promise<OpsResult> {
  return runOperation<ProxySQLReconfigurePlan>(input, {
    database: 'ProxySQL',
    view: operationViews.proxysqlReconfigure,
    progressing: (plan) => `reconfiguring ${plan.database}: ${plan.summary}`,
    beforePause: async ({ t, short }) => {
      const problems = await t.step('CheckCurrentConfig', () => short.checkProxySQLCurrentConfig(input),
        (p) => (p.length ? p.join('; ') : 'consistent with the current config of the members'));
      return problems.length ? problems.join('; ') : undefined;
    },
    body: async ({ t, long }, plan) => {
      // A long (heartbeating) activity: a worker that dies mid-apply is noticed within the heartbeat
      // timeout and the retry runs the idempotent statements again.
      await t.step('ApplyConfiguration', () => long.applyProxySQLConfiguration(input, plan.members),
        (member) => `applied on ${member} (memory → runtime → disk)`);
      await t.step('VerifyConfiguration', () => long.verifyProxySQLConfiguration(input));
    },
    success: (plan) => `${plan.database} reconfigured: ${plan.summary}`,
  });
}
