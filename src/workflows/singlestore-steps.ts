// The SingleStore flavour of the shared ops steps: rolling one Pod with the cluster check through the
// master aggregator after it.
import { rollPodStep, type OpsContext } from './ops-steps.ts';

/**
 * One RestartPod-<pod> step: roll the Pod (onto its StatefulSet's update revision, or replacing the
 * Pod with restartUid), then wait until every leaf is online, every member is in the cluster and
 * (with version) the rolled node reports that version.
 */
export async function rollSingleStorePod(ops: OpsContext, statefulSet: string, pod: string, opts: { version?: string; restartUid?: string } = {}): Promise<void> {
  const { long, input, dbRef } = ops;
  await rollPodStep(ops, statefulSet, pod, () => long.checkSingleStoreHealth(input.namespace, dbRef.name, { pod, version: opts.version }), opts.restartUid);
}
