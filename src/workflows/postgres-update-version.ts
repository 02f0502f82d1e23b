// Postgres UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → update
// the StatefulSet → roll Pods one at a time with sync checks → record the version → resume.
// Resume runs on every exit path; a major upgrade that fails on the primary is rolled back.
import type { OpsInput, OpsResult } from './shared.ts';
import { admit, conclude, postgresOps, rollPostgresMembers, rollPostgresPod, whilePaused } from './postgres-steps.ts';
import { postgresUpdateVersionSteps } from './plans.ts';

const COPY_SCRIPT = '/opt/opsflow/scripts/copy-old-binaries.sh';

export async function postgresUpdateVersion(input: OpsInput): Promise<OpsResult> {
  const ops = postgresOps(input);
  const { t, short, long, dbRef } = ops;

  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validatePostgresUpdateVersion(input),
    (r) => (r.outcome === 'Proceed' ? `${r.plan.currentVersion} → ${r.plan.targetVersion}${r.plan.major ? ' (major)' : ''}` : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  t.plan(postgresUpdateVersionSteps(plan));

  const refused = await admit(ops);
  if (refused) return refused;
  await t.setPhase('Progressing', `updating ${dbRef.name} from ${plan.currentVersion} to ${plan.targetVersion}`);

  let primaryRolled = false;
  const failure = await whilePaused(ops, async () => {
    const initContainers = plan.major ? [{
      name: 'copy-old-binaries', image: plan.currentImage, command: ['bash', COPY_SCRIPT],
      env: [{ name: 'DATA_DIR', value: '/var/pv' }],
      volumeMounts: [{ name: 'data', mountPath: '/var/pv' }, { name: 'scripts', mountPath: '/opt/opsflow/scripts', readOnly: true }],
    }] : [];
    await t.step('UpdateStatefulSet', () => short.updateStatefulSet({
      namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.targetImage, initContainers,
    }), (rev) => `image ${plan.targetImage}, revision ${rev}`);
    const rolled: string[] = [];
    if (!plan.major) {
      // Minor: standbys, then a switchover (or the primary's restart), see rollPostgresMembers.
      await rollPostgresMembers(ops, plan);
    } else for (const pod of plan.pods) {
      rolled.push(pod);
      // Minor: every standby must stream before the next Pod. Major: the standbys not yet rolled
      // still run the old major and cannot stream, so only the rolled ones are checked.
      await rollPostgresPod(ops, plan.statefulSet, pod, { standbys: plan.major ? rolled.filter((p) => p !== plan.primary) : undefined });
      if (pod === plan.primary) primaryRolled = true;
      if (plan.major && pod === plan.primary) await t.mark('CopiedOldBinaries', 'Succeeded', `${plan.currentVersion} bin and lib copied by the init container; pg_upgrade done on ${pod}`);
    }
    await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
  }, async () => {
    if (!plan.major || primaryRolled) return;
    // pg_upgrade did not complete: the old data directory is intact, so bring the primary back on the old version.
    await t.step('RollbackStatefulSet', async () => {
      await short.updateStatefulSet({ namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.currentImage, initContainers: [] });
      await long.rollPod(input.namespace, plan.statefulSet, plan.primary);
      return `back on ${plan.currentImage}`;
    });
  });
  return conclude(ops, failure, `${dbRef.name} runs ${plan.targetVersion}`);
}
