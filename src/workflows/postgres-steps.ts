// The Postgres flavour of the shared ops steps: the context for a Postgres database, and rolling one
// Pod with the streaming-replication sync check after it.
import { opsContext, rollPodStep, type OpsContext } from './ops-steps.ts';
import type { OpsInput } from './shared.ts';

export { admit, conclude, whilePaused } from './ops-steps.ts';
export type PostgresOps = OpsContext;

export const postgresOps = (input: OpsInput): PostgresOps => opsContext(input, 'Postgres');

/** One RestartPod-<pod> step: roll the Pod, then the sync check (of the standbys given, or all). */
export async function rollPostgresPod(ops: PostgresOps, statefulSet: string, pod: string, opts: { restartUid?: string; standbys?: string[] } = {}): Promise<void> {
  const { long, input, dbRef } = ops;
  await rollPodStep(ops, statefulSet, pod, () => long.checkPostgresSync(input.namespace, dbRef.name, undefined, opts.standbys), opts.restartUid);
}
