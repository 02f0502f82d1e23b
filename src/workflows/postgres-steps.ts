// Steps shared by the Postgres ops workflows (UpdateVersion, Restart): activity option sets, the
// admission (one operation per database, readiness), the paused section with resume on every exit
// path, and rolling Pods one at a time with a sync check after each.
import { CancellationScope, isCancellation, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DbRef } from '../activities/database.ts';
import { databaseNameOf, type OpsInput, type OpsResult } from './shared.ts';
import { errorMessage, Tracker } from './tracker.ts';

function options(input: OpsInput, long: boolean): ActivityOptions {
  const attempts = (input.spec.maxRetries ?? 5) + 1;
  const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: attempts };
  // Long steps wait on the cluster: bounded by spec.timeout, heartbeating so a dead worker is noticed.
  return long
    ? { startToCloseTimeout: input.spec.timeout ?? '10m', heartbeatTimeout: '30s', retry }
    : { startToCloseTimeout: '1m', retry };
}

export type PostgresOps = ReturnType<typeof postgresOps>;

export function postgresOps(input: OpsInput) {
  const short = proxyActivities<Activities>(options(input, false));
  const long = proxyActivities<Activities>(options(input, true));
  const opsRef = { kind: input.kind, namespace: input.namespace, name: input.name, uid: input.uid };
  const dbRef: DbRef = { kind: 'Postgres', namespace: input.namespace, name: databaseNameOf(input) };
  // Runs started before this patch awaited every progress write; newer ones write in the background.
  const t = new Tracker((p) => short.recordProgress(opsRef, p), patched('progress-in-background'));
  return {
    input, short, long, opsRef, dbRef, t,
    requester: `${input.kind}/${input.name}`,
    finish: async (phase: OpsResult['phase'], message: string): Promise<OpsResult> => {
      await t.setPhase(phase, message);
      return { phase, message };
    },
  };
}

/** WaitForTurn, then (spec.apply IfReady) DatabaseReady. Returns a Failed result when not admitted. */
export async function admit(ops: PostgresOps): Promise<OpsResult | undefined> {
  const { t, long, input, dbRef, opsRef } = ops;
  await t.step('WaitForTurn', () => long.waitForTurn(input.kind, dbRef, opsRef),
    (w) => (w.length ? `waited for ${w.join(', ')}` : 'no other operation on this database'));
  if ((input.spec.apply ?? 'IfReady') === 'IfReady') {
    try {
      await t.step('DatabaseReady', () => long.checkDatabaseReady(dbRef, false), () => `${dbRef.name} is Ready`);
    } catch (e) {
      return ops.finish('Failed', `${dbRef.name} did not become Ready (spec.apply is IfReady): ${errorMessage(e)}`);
    }
  }
  return undefined;
}

/**
 * Pause → body → Resume, where Resume runs on every exit path (success, failure, cancellation).
 * onFailure runs (not cancellable) before Resume when body fails for another reason than a cancel.
 */
export async function whilePaused(ops: PostgresOps, body: () => Promise<void>, onFailure?: () => Promise<void>): Promise<unknown> {
  const { t, long, dbRef, requester } = ops;
  let failure: unknown;
  try {
    await t.step('PauseDatabase', () => long.pauseDatabase(dbRef, requester), () => 'the provisioner acknowledged the pause');
    await body();
  } catch (e) {
    failure = e;
    if (onFailure && !isCancellation(e)) await CancellationScope.nonCancellable(onFailure).catch(() => undefined);
  } finally {
    await CancellationScope.nonCancellable(() => t.step('ResumeDatabase', () => long.resumeDatabase(dbRef, requester), () => 'the provisioner manages the database again'));
  }
  return failure;
}

/** Ends the run after whilePaused: Successful, or Failed with the reason (a cancel is re-thrown). */
export async function conclude(ops: PostgresOps, failure: unknown, success: string): Promise<OpsResult> {
  if (failure !== undefined) {
    const message = isCancellation(failure) ? 'cancelled (the OpsRequest was deleted or the run was cancelled); the database is resumed' : errorMessage(failure);
    await CancellationScope.nonCancellable(() => ops.finish('Failed', message));
    if (isCancellation(failure)) throw failure;
    return { phase: 'Failed', message };
  }
  return ops.finish('Successful', success);
}

/** One RestartPod-<pod> step: roll the Pod, then the sync check (of the standbys given, or all). */
export async function rollPodStep(ops: PostgresOps, statefulSet: string, pod: string, opts: { restartUid?: string; standbys?: string[] } = {}): Promise<void> {
  const { t, long, input, dbRef } = ops;
  await t.step(`RestartPod-${pod}`, async () => {
    const r = await long.rollPod(input.namespace, statefulSet, pod, opts.restartUid);
    const sync = await long.checkPostgresSync(input.namespace, dbRef.name, undefined, opts.standbys);
    return `${r.replaced ? `replaced in ${r.seconds.toFixed(1)} s` : 'already done'}; ${sync}`;
  });
}
