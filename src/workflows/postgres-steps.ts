// The Postgres flavour of the shared ops steps: the context for a Postgres database, rolling one
// Pod with the streaming-replication sync check after it, and rolling every member the way the
// primary should be updated (standbys → Switchover → the old primary rejoins as a standby).
import { patched } from '@temporalio/workflow';
import type { SwitchoverResult } from '../activities/postgres-switchover.ts';
import { planPrimaryUpdate, planUpdateRolls } from '../engines/postgres/plan.ts';
import { countPodRolled } from './metrics.ts';
import { rollPodStep, type OpsContext } from './ops-steps.ts';

export type PostgresOps = OpsContext;

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The Switchover step's account of the write stop (when this attempt stopped the old primary). */
function writeStop(r: SwitchoverResult): string {
  if (r.writeStopMs === undefined) return '';
  // Results of runs before the fast shutdown say `gone` (the old primary's Pod) for `stopped`.
  const p = r.stopPhasesMs as (SwitchoverResult['stopPhasesMs'] & { gone?: number }) | undefined;
  const stopped = p?.stopped ?? p?.gone;
  const how = r.stoppedBy === 'fast shutdown'
    ? `${p?.asked !== undefined ? `the fast shutdown asked after ${sec(p.asked)}, ` : ''}the old primary shut down and its last WAL received`
    : "the old primary's Pod gone";
  return ` (writes stopped for ${sec(r.writeStopMs)}${p && stopped !== undefined ? `: ${how} after ${sec(stopped)}, promoted after ${sec(p.promoted)}` : ''})`;
}

/** One RestartPod-<pod> step: roll the Pod, then the sync check (of the standbys given, or all). */
export async function rollPostgresPod(ops: PostgresOps, statefulSet: string, pod: string, opts: { restartUid?: string; standbys?: string[] } = {}): Promise<void> {
  const { long, input, dbRef } = ops;
  await rollPodStep(ops, statefulSet, pod, () => long.checkPostgresSync(input.namespace, dbRef.name, undefined, opts.standbys), opts.restartUid);
}

export interface MembersPlan {
  statefulSet: string;
  primary: string;
  /** Standbys first, the primary last (rolloutOrder, minor). */
  pods: string[];
  /** Restart mode: the UID of each Pod when planned; absent: onto the update revision. */
  uids?: Record<string, string>;
  /** UpdateVersion: the target image (members already on its update revision are not rolled again). */
  targetImage?: string;
}

/**
 * Rolls every member of a Postgres, the primary last: with spec.primaryUpdateMethod Switchover (the
 * default) the standbys roll, then a Switchover step moves the primary role to an updated in-sync
 * standby (its stop of the old primary is that Pod's restart), then RestartPod of the old primary
 * waits for it to rejoin as a standby and runs the sync check. Runs started before the patch, or
 * with Restart, restart the primary in place.
 */
export async function rollPostgresMembers(ops: PostgresOps, plan: MembersPlan): Promise<void> {
  const { t, input, dbRef } = ops;
  const switchoverRolling = patched('switchover-rolling');
  const roll = (pod: string) => rollPostgresPod(ops, plan.statefulSet, pod, { restartUid: plan.uids?.[pod] });
  // UpdateVersion: what the cluster shows now decides (a retried run's plan is older than it):
  // members already on the update revision are not rolled again, and a primary that is one of them
  // is not switched over. Restart and Reconfigure restart every member.
  if (switchoverRolling && plan.uids === undefined && plan.targetImage !== undefined && patched('skip-updated-members')) {
    const now = await ops.short.postgresRolloutState(input.namespace, dbRef.name, plan.statefulSet, plan.targetImage);
    const order = [...plan.pods.filter((p) => p !== now.primary), now.primary];
    const r = planUpdateRolls(order, now.primary, now.updated, input.spec.primaryUpdateMethod, input.spec.preferredPrimary);
    const skip = async (step: string, why: string) => t.mark(step, 'Skipped', why);
    for (const pod of r.skip) await skip(`RestartPod-${pod}`, `already runs the update revision ${now.revision}; not rolled again`);
    const u = r.primaryUpdate;
    if (!('method' in u) || u.method !== 'Switchover') {
      if ('method' in u && u.method === 'None' && t.has('Switchover')) await skip('Switchover', `no switchover: ${u.reason}`);
      for (const pod of r.roll) await roll(pod);
      return;
    }
    t.planBefore('Switchover', `RestartPod-${now.primary}`);
    for (const pod of r.roll.filter((p) => p !== now.primary)) await roll(pod);
    await switchover(ops, now.primary, u.target);
    await roll(now.primary);
    return;
  }
  const update = switchoverRolling
    ? planPrimaryUpdate(plan.pods, plan.primary, input.spec.primaryUpdateMethod, input.spec.preferredPrimary)
    : undefined;
  if (!update || !('method' in update) || update.method !== 'Switchover') {
    for (const pod of plan.pods) await roll(pod);
    return;
  }
  const target = update.target;
  t.planBefore('Switchover', `RestartPod-${plan.primary}`);
  for (const pod of plan.pods.filter((p) => p !== plan.primary)) await roll(pod);
  await switchover(ops, plan.primary, target);
  await roll(plan.primary);
}

/** The Switchover step (from → to); its stop of the old primary counts as that Pod's roll. */
async function switchover(ops: PostgresOps, from: string, to: string): Promise<void> {
  const { t, input, dbRef } = ops;
  await t.step('Switchover', () => ops.critical.switchoverPostgres(input.namespace, dbRef.name, from, to), (r) =>
    `${to} is the primary${writeStop(r)}; ${from} rejoins as a standby${r.repointed.length ? `; repointed ${r.repointed.join(', ')}` : ''}`);
  // The switchover stopped the old primary (its Pod is replaced, as a standby): a rolled Pod, which
  // its RestartPod step then finds already done.
  countPodRolled(ops.metricTags);
}
