// The Postgres flavour of the shared ops steps: rolling one Pod with the streaming-replication sync
// check after it.
import { rollPodStep, type OpsContext } from './ops-steps.ts';

/** One RestartPod-<pod> step: roll the Pod, then the sync check (of the standbys given, or all). */
export async function rollPostgresPod(ops: OpsContext, statefulSet: string, pod: string, opts: { restartUid?: string; standbys?: string[] } = {}): Promise<void> {
  const { long, input, dbRef } = ops;
  await rollPodStep(ops, statefulSet, pod, () => long.checkPostgresSync(input.namespace, dbRef.name, undefined, opts.standbys), opts.restartUid);
}
