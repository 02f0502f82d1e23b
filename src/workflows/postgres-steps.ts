// The Postgres flavour of the shared ops steps: the context for a Postgres database, rolling one
// Pod with the streaming-replication sync check after it, and rolling every member the way the
// primary should be updated (standbys → Switchover → the old primary rejoins as a standby).
import { patched } from '@temporalio/workflow';
import type { SwitchoverResult } from '../activities/postgres-switchover.ts';
import { planPrimaryUpdate } from '../engines/postgres/plan.ts';
import { countPodRolled } from './metrics.ts';
import { rollPodStep, type OpsContext } from './ops-steps.ts';

export type PostgresOps = OpsContext;

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The Switchover step's account of the write stop (when this attempt stopped the old primary). */
function writeStop(r: SwitchoverResult): string {
  if (r.writeStopMs === undefined) return '';
  const p = r.stopPhasesMs;
  return ` (writes stopped for ${sec(r.writeStopMs)}${p ? `: the old primary's Pod gone after ${sec(p.gone)}, promoted after ${sec(p.promoted)}` : ''})`;
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
  const update = patched('switchover-rolling')
    ? planPrimaryUpdate(plan.pods, plan.primary, input.spec.primaryUpdateMethod, input.spec.preferredPrimary)
    : undefined;
  const roll = (pod: string) => rollPostgresPod(ops, plan.statefulSet, pod, { restartUid: plan.uids?.[pod] });
  if (!update || !('method' in update) || update.method === 'Restart') {
    for (const pod of plan.pods) await roll(pod);
    return;
  }
  const target = update.target;
  t.planBefore('Switchover', `RestartPod-${plan.primary}`);
  for (const pod of plan.pods.filter((p) => p !== plan.primary)) await roll(pod);
  await t.step('Switchover', () => ops.critical.switchoverPostgres(input.namespace, dbRef.name, plan.primary, target), (r) =>
    `${target} is the primary${writeStop(r)}; ${plan.primary} rejoins as a standby${r.repointed.length ? `; repointed ${r.repointed.join(', ')}` : ''}`);
  // The switchover stopped the old primary (its Pod is replaced, as a standby): a rolled Pod, which
  // its RestartPod step below then finds already done.
  countPodRolled(ops.metricTags);
  await roll(plan.primary);
}
