// Postgres Reconfigure: validate the new config against the server's pg_settings (no change) → wait
// for its turn → pause → persist the config (custom-config Secret, spec.configSecret, the rendered
// config Secret) → restart the Pods in the safe order when a changed parameter needs it (or restart:
// true), else reload → read every parameter back on every member → resume.
import type { OpsInput, OpsResult } from './shared.ts';
import { admit, conclude, postgresOps, rollPostgresMembers, rollPostgresPod, whilePaused } from './postgres-steps.ts';

export async function postgresReconfigure(input: OpsInput): Promise<OpsResult> {
  const ops = postgresOps(input);
  const { t, short, long, dbRef } = ops;
  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validatePostgresReconfigure(input),
    (r) => (r.outcome === 'Proceed'
      ? `${r.plan.changed.length ? r.plan.changed.map((c) => `${c.name}: ${c.from ?? '(default)'} → ${c.to ?? '(default)'}`).join(', ') : 'no parameter changes'}; ${r.plan.action === 'Restart' ? 'rolling restart' : 'reload'} (${r.plan.reason})`
      : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  const restart = plan.action === 'Restart';
  t.plan(['WaitForTurn', 'PauseDatabase', 'UpdateConfig', ...(restart ? [...plan.pods.flatMap((p, i) => (plan.primaryFirst && i === 1 ? ['Checkpoint', `RestartPod-${p}`] : [`RestartPod-${p}`])), 'CheckSettings'] : ['ReloadConfig']), 'ResumeDatabase']);
  const refused = await admit(ops);
  if (refused) return refused;
  await t.setPhase('Progressing', `reconfiguring ${dbRef.name}`);
  const failure = await whilePaused(ops, async () => {
    await t.step('UpdateConfig', () => short.writePostgresConfig(input.namespace, dbRef.name, plan.userConf, plan.userSecret));
    if (restart && plan.primaryFirst) {
      // A lowered standby limit: the primary restarts first (no switchover), then a checkpoint.
      for (const [i, pod] of plan.pods.entries()) {
        if (i === 1) await t.step('Checkpoint', () => long.checkpointForStandbys(input.namespace, dbRef.name));
        await rollPostgresPod(ops, plan.statefulSet, pod, { restartUid: plan.uids[pod] });
      }
    } else if (restart) {
      await rollPostgresMembers(ops, { ...plan, primary: plan.primary ?? plan.pods[plan.pods.length - 1] ?? '' });
    }
    // Reload (and after a restart, a check): every parameter read back on every member.
    await t.step(restart ? 'CheckSettings' : 'ReloadConfig', () => long.applyPostgresSettings(input.namespace, dbRef.name, plan.pods, plan.expected));
  });
  const pending = plan.pending.length ? `; ${plan.pending.join(', ')} take effect at the next restart` : '';
  return conclude(ops, failure, `${dbRef.name} reconfigured (${restart ? 'rolling restart' : 'reload'})${pending}`);
}
