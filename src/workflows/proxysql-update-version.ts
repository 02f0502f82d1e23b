// ProxySQL UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → update the
// StatefulSet image → roll members one at a time (highest ordinal first), each followed by a check
// that the member reports the target version and all members' config checksums agree → record the
// version → resume (on every exit path).
import { admit, conclude, opsContext, rollPodStep, whilePaused } from './ops-steps.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export async function proxysqlUpdateVersion(input: OpsInput): Promise<OpsResult> {
  const ops = opsContext(input, 'ProxySQL');
  const { t, short, long, dbRef } = ops;

  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validateProxySQLUpdateVersion(input),
    (r) => (r.outcome === 'Proceed' ? `${r.plan.currentVersion} → ${r.plan.targetVersion}` : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  t.plan(['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSet', ...plan.pods.map((p) => `RestartPod-${p}`), 'UpdateDatabase', 'ResumeDatabase']);

  const refused = await admit(ops);
  if (refused) return refused;
  await t.setPhase('Progressing', `updating ${dbRef.name} from ${plan.currentVersion} to ${plan.targetVersion}`);

  const failure = await whilePaused(ops, async () => {
    await t.step('UpdateStatefulSet', () => short.updateStatefulSet({
      namespace: input.namespace, statefulSet: plan.statefulSet, container: 'proxysql', image: plan.targetImage, initContainers: [],
    }), (rev) => `image ${plan.targetImage}, revision ${rev}`);
    for (const pod of plan.pods) {
      await rollPodStep(ops, plan.statefulSet, pod, () => long.checkProxySQLMember(input.namespace, dbRef.name, pod, plan.targetVersion));
    }
    await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
  });
  return conclude(ops, failure, `${dbRef.name} runs ${plan.targetVersion}`);
}
