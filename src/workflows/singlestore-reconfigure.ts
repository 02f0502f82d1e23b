// SingleStore Reconfigure (KubeDB shape: spec.configuration.{aggregator,leaf}): validate the request
// (no change) → wait for its turn → check every parameter against the nodes' SHOW VARIABLES (still no
// change) → pause → per role, leaves first:
// persist the merged custom config in the database spec (so any later restart keeps it) → apply it
// online with SET GLOBAL (restart auto/false) or roll the role's Pods (restart true, a parameter
// dropped, or one that cannot be set online; the master aggregator last) → read it back on every
// node → resume.
import { ApplicationFailure } from '@temporalio/workflow';
import type { OpsInput, OpsResult } from './shared.ts';
import { admit, conclude, rollSingleStorePod, singlestoreOps, whilePaused } from './singlestore-steps.ts';
import { errorMessage } from './tracker.ts';

const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');

export async function singlestoreReconfigure(input: OpsInput): Promise<OpsResult> {
  const ops = singlestoreOps(input);
  const { t, short, long, dbRef } = ops;

  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validateSingleStoreReconfigure(input),
    (r) => (r.outcome === 'Proceed' ? r.plan.roles.map((x) => `${x.role}: ${Object.keys(x.params).length} parameter(s), changed ${list(x.changed)}, dropped ${list(x.dropped)}, restart ${x.restart}`).join('; ') : r.reason));
  if (v.outcome !== 'Proceed') return ops.finish(v.outcome, v.reason);
  const plan = v.plan;
  const rolls = (r: (typeof plan.roles)[number]) => r.restart === 'true' || (r.restart === 'auto' && r.dropped.length > 0);
  t.plan(['WaitForTurn', 'ValidateParameters', 'PauseDatabase', ...plan.roles.flatMap((r) => [
    `PersistConfig-${r.role}`, ...(rolls(r) ? r.pods.map((p) => `RestartPod-${p}`) : [`ApplyConfig-${r.role}`]), `VerifyConfig-${r.role}`,
  ]), 'ResumeDatabase']);

  const refused = await admit(ops);
  if (refused) return refused;
  // Against the nodes as they are now that it is this request's turn; still before any change.
  try {
    await t.step('ValidateParameters', () => short.checkSingleStoreParameters(input.namespace, dbRef.name, plan.roles.map(({ role, pods, params, origin }) => ({ role, pods, params, origin }))));
  } catch (e) {
    return ops.finish('Failed', errorMessage(e));
  }
  await t.setPhase('Progressing', `reconfiguring the ${plan.roles.map((r) => r.role).join(' and ')} nodes of ${dbRef.name}`);

  const notes: string[] = [];
  const failure = await whilePaused(ops, async () => {
    for (const r of plan.roles) {
      const saved = await t.step(`PersistConfig-${r.role}`, () => short.persistSingleStoreConfig(input.namespace, dbRef.name, r.role, r.spec),
        (s) => `Secret ${s.secret}: ${Object.keys(s.params).length} parameter(s), changed ${list(s.changed)}, dropped ${list(s.dropped)}; spec.topology.${r.role}.configSecret = ${s.secret}`);
      const dropped = [...new Set([...r.dropped, ...saved.dropped])];
      let roll = r.restart === 'true' || (r.restart === 'auto' && dropped.length > 0);
      if (!roll) {
        const applied = await t.step(`ApplyConfig-${r.role}`, () => short.applySingleStoreConfig(input.namespace, dbRef.name, r.role, saved.params),
          (a) => `SET GLOBAL ${a.set.length ? a.set.join(', ') : 'not needed (every node already had the values)'}${a.notOnline.length ? `; not settable online: ${a.notOnline.join(', ')}` : ''}`);
        if (applied.notOnline.length > 0) {
          if (r.restart === 'false') {
            throw ApplicationFailure.nonRetryable(`spec.configuration.${r.role}.restart is false but ${applied.notOnline.join(', ')} cannot be set online; the config is saved and takes effect when the ${r.role} Pods restart`);
          }
          roll = true;
        }
        if (dropped.length > 0) notes.push(`${r.role}: ${dropped.join(', ')} no longer configured; back to the server default at the next restart`);
      }
      if (roll) {
        const uids = await short.podUids(input.namespace, r.pods);
        for (const pod of r.pods) await rollSingleStorePod(ops, r.statefulSet, pod, { restartUid: uids[pod] });
      }
      await t.step(`VerifyConfig-${r.role}`, () => long.verifySingleStoreConfig(input.namespace, dbRef.name, r.role, saved.params));
    }
  });
  return conclude(ops, failure, `${dbRef.name} reconfigured (${plan.roles.map((r) => r.role).join(', ')})${notes.length ? `; ${notes.join('; ')}` : ''}`);
}
