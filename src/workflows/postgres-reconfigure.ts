// Postgres Reconfigure: validate the new config against the server's pg_settings (no change) → wait
// for its turn → judged again (the config merged onto what is in effect now) → pause → persist the
// config (custom-config Secret, spec.configSecret, the rendered config Secret) → restart the Pods in
// the safe order when a changed parameter needs it (or restart: true), else reload → read every
// parameter back on every member → resume.
import type { ReconfigurePlan } from '../activities/postgres-config.ts';
import { rollPostgresMembers, rollPostgresPod } from './postgres-steps.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function postgresReconfigure(input: OpsInput): Promise<OpsResult> {
  return runOperation<ReconfigurePlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresReconfigure,
    progressing: (plan) => `reconfiguring ${plan.database}`,
    body: async (ops, plan) => {
      const { t, short, long, dbRef } = ops;
      const restart = plan.action === 'Restart';
      await t.step('UpdateConfig', () => short.writePostgresConfig(input.namespace, dbRef.name, plan.userConf, plan.userSecret));
      if (restart && plan.primaryFirst) {
        // A lowered standby limit: the primary restarts first (no switchover), then a checkpoint.
        for (const [i, pod] of plan.pods.entries()) {
          if (i === 1) await t.step('Checkpoint', () => long.checkpointForStandbys(input.namespace, dbRef.name));
          await rollPostgresPod(ops, plan.statefulSet, pod, { restartUid: plan.uids[pod] });
        }
      } else if (restart) {
        // Standbys, then a switchover (or the primary's restart), see rollPostgresMembers.
        await rollPostgresMembers(ops, { ...plan, primary: plan.primary ?? plan.pods[plan.pods.length - 1] ?? '' });
      }
      // Reload (and after a restart, a check): every parameter read back on every member.
      await t.step(restart ? 'CheckSettings' : 'ReloadConfig', () => long.applyPostgresSettings(input.namespace, dbRef.name, plan.pods, plan.expected));
    },
    success: (plan) => `${plan.database} reconfigured (${plan.action === 'Restart' ? 'rolling restart' : 'reload'})${plan.pending.length ? `; ${plan.pending.join(', ')} take effect at the next restart` : ''}`,
  });
}
