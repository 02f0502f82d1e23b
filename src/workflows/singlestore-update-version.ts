// SingleStore UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → the new
// image on both StatefulSets → roll the leaves one at a time, then the child aggregators, the master
// aggregator last, each followed by the cluster check through the master → record the version → resume.
import type { OpsInput, OpsResult } from './shared.ts';
import { admit, conclude, rollSingleStorePod, singlestoreOps, whilePaused } from './singlestore-steps.ts';

export async function singlestoreUpdateVersion(input: OpsInput): Promise<OpsResult> {
  const ops = singlestoreOps(input);
  const { t, short, dbRef } = ops;

  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validateSingleStoreUpdateVersion(input),
    (r) => (r.outcome === 'Proceed' ? `${r.plan.currentVersion} → ${r.plan.targetVersion}; order ${r.plan.pods.map((p) => p.pod).join(', ')}` : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  t.plan(['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSets', ...plan.pods.map((p) => `RestartPod-${p.pod}`), 'UpdateDatabase', 'ResumeDatabase']);

  const refused = await admit(ops);
  if (refused) return refused;
  await t.setPhase('Progressing', `updating ${dbRef.name} from ${plan.currentVersion} to ${plan.targetVersion}`);

  const failure = await whilePaused(ops, async () => {
    await t.step('UpdateStatefulSets', async () => {
      const revisions: string[] = [];
      for (const sts of plan.statefulSets) {
        const rev = await short.updateStatefulSet({ namespace: input.namespace, statefulSet: sts, container: 'singlestore', image: plan.targetImage, initContainers: [] });
        revisions.push(`${sts} ${rev}`);
      }
      return `image ${plan.targetImage}; revisions ${revisions.join(', ')}`;
    });
    for (const p of plan.pods) await rollSingleStorePod(ops, p.statefulSet, p.pod, { version: plan.targetVersion });
    await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
  });
  return conclude(ops, failure, `${dbRef.name} runs ${plan.targetVersion}`);
}
