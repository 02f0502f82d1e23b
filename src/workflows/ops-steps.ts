// Steps every ops workflow shares, whatever the engine: activity option sets, the admission (one
// operation per database, readiness), the paused section with resume on every exit path, the
// conclusion, and rolling one Pod with an engine check after it.
import { CancellationScope, condition, isCancellation, patched, proxyActivities, setHandler, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DbRef } from '../activities/database.ts';
import { countPodRolled } from './metrics.ts';
import { approveSignal, databaseNameOf, turnSignal, type OpsInput, type OpsResult } from './shared.ts';
import { errorMessage, Tracker } from './tracker.ts';
import { stepTimeoutMs } from '../api/duration.ts';

// Every running activity heartbeats every second (activities/liveness.ts, at most one RPC per 2 s), so
// a long step whose worker died is retried elsewhere about 8 s after its last heartbeat, not 30 s.
const LIVENESS_TIMEOUT = '8s';

function options(input: OpsInput, kind: 'short' | 'long' | 'persistent' | 'critical'): ActivityOptions {
  const attempts = (input.spec.maxRetries ?? 5) + 1;
  const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: attempts };
  // spec.timeout is parsed here (Go-style, e.g. 1h30m), never handed to Temporal's own parser.
  const stepMs = stepTimeoutMs(input.spec.timeout);
  switch (kind) {
    case 'short': return { startToCloseTimeout: '1m', retry };
    // Long steps wait on the cluster: bounded by spec.timeout, heartbeating so a dead worker is noticed.
    case 'long': return { startToCloseTimeout: stepMs, heartbeatTimeout: LIVENESS_TIMEOUT, retry };
    // Resume and the final status write: retried with backoff until the API server answers,
    // whatever spec.maxRetries says (a database is never left paused, a run always ends final).
    case 'persistent': return { startToCloseTimeout: stepMs, heartbeatTimeout: LIVENESS_TIMEOUT, retry: { ...retry, maximumAttempts: Number.POSITIVE_INFINITY } };
    // A step that must not stop halfway (the switchover: giving up between stop and promote would
    // leave the database without a primary): at least 20 attempts, retried within 10 s, and a short
    // heartbeat timeout, since writes are stopped meanwhile.
    case 'critical': return {
      startToCloseTimeout: stepMs, heartbeatTimeout: '10s',
      retry: { ...retry, maximumInterval: '10s', maximumAttempts: Math.max(attempts, 20) },
    };
  }
}

export type OpsContext = ReturnType<typeof opsContext>;

export function opsContext(input: OpsInput, dbKind: DbRef['kind']) {
  const short = proxyActivities<Activities>(options(input, 'short'));
  const long = proxyActivities<Activities>(options(input, 'long'));
  const persistent = proxyActivities<Activities>(options(input, 'persistent'));
  const critical = proxyActivities<Activities>(options(input, 'critical'));
  const opsRef = { kind: input.kind, namespace: input.namespace, name: input.name, uid: input.uid };
  const dbRef: DbRef = { kind: dbKind, namespace: input.namespace, name: databaseNameOf(input) };
  // Runs started before this patch awaited every progress write; newer ones write in the background.
  const metricTags = { kind: input.kind, type: input.spec.type };
  const t = new Tracker((p) => short.recordProgress(opsRef, p), patched('progress-in-background'), metricTags, (p) => persistent.recordProgress(opsRef, p));
  let finished: OpsResult | undefined;
  const finish = async (phase: OpsResult['phase'], message: string): Promise<OpsResult> => {
    if (finished) return finished;
    finished = { phase, message };
    await t.setPhase(phase, message);
    return finished;
  };
  return {
    input, short, long, persistent, critical, opsRef, dbRef, t, metricTags,
    requester: `${input.kind}/${input.name}`,
    /** The final phase, once (a later call returns the first result). */
    finish,
    /** The same, even while the run is being cancelled. */
    finishNonCancellable: (phase: OpsResult['phase'], message: string) => CancellationScope.nonCancellable(() => finish(phase, message)),
    get finished(): OpsResult | undefined {
      return finished;
    },
  };
}

/**
 * spec.approval Required: phase WaitingForApproval and an Approval step until approved: an approve
 * signal, then the approver read from the OpsRequest's annotation (checked by the API server). Runs
 * without it issue no command here (their histories replay unchanged).
 */
async function awaitApproval(ops: OpsContext): Promise<void> {
  const { t } = ops;
  let approvedBy: string | undefined;
  setHandler(approveSignal, ({ by }) => {
    approvedBy ??= by || 'unknown';
  });
  t.planBefore('Approval', 'WaitForTurn');
  await t.mark('Approval', 'Running', 'waiting for approval (opsflow approve, or the annotation opsflow.dev/approved-by)');
  await t.setPhase('WaitingForApproval', `waiting for approval: opsflow approve ${ops.input.name} -n ${ops.input.namespace}`);
  try {
    await condition(() => approvedBy !== undefined);
    // The signal only wakes the run: the approver is the annotation the API server admitted (its
    // admission policy checks it against the authenticated user). Older runs trusted the signal.
    if (patched('approval-from-api-server')) {
      for (;;) {
        const verdict = await ops.short.readApproval(ops.opsRef);
        if ('approvedBy' in verdict) {
          approvedBy = verdict.approvedBy;
          break;
        }
        await t.mark('Approval', 'Running', `waiting for approval; an approve signal (${approvedBy}) was ignored: ${verdict.refused}`);
        approvedBy = undefined;
        await condition(() => approvedBy !== undefined);
      }
    }
  } catch (e) {
    if (isCancellation(e)) {
      await CancellationScope.nonCancellable(async () => {
        await t.mark('Approval', 'Failed', 'cancelled before approval');
        await ops.finish('Failed', 'cancelled while waiting for approval; nothing was changed');
      });
    }
    throw e;
  }
  await t.mark('Approval', 'Succeeded', `approved by ${approvedBy}`);
  await t.setPhase('Pending', `approved by ${approvedBy}`);
}

// A queued run waits inside the workflow, holding no activity slot and making no API calls: it looks
// once, then again when nudged (the watcher signals the next request in line when one ends) or, as a
// fallback for a lost nudge, after TURN_RECHECK.
const TURN_RECHECK = '2m';

/** This request's turn: returns the requests it waited for, oldest first. */
async function awaitTurn(ops: OpsContext): Promise<string[]> {
  const { input, dbRef, opsRef, short } = ops;
  const waited: string[] = [];
  let nudged = false;
  setHandler(turnSignal, () => {
    nudged = true;
  });
  for (;;) {
    nudged = false; // a nudge during the look below makes the next wait return at once
    const { blocker } = await short.checkTurn(input.kind, dbRef, opsRef);
    if (blocker === undefined) return waited;
    if (waited[waited.length - 1] !== blocker) {
      // The status message says what it waits for (written through the tracker, so no progress write overtakes it).
      await ops.t.setPhase('Pending', `waiting for ${input.kind} ${blocker}, an earlier operation on ${dbRef.kind} ${dbRef.name}`);
    }
    if (!waited.includes(blocker)) waited.push(blocker);
    await condition(() => nudged, TURN_RECHECK);
  }
}

/** (spec.approval Required) Approval, WaitForTurn, then (spec.apply IfReady) DatabaseReady. Returns a Failed result when not admitted. */
export async function admit(ops: OpsContext): Promise<OpsResult | undefined> {
  const { t, long, input, dbRef, opsRef } = ops;
  if (input.spec.approval === 'Required') await awaitApproval(ops);
  const waitForTurn = patched('turn-by-signal') ? () => awaitTurn(ops) : () => long.waitForTurn(input.kind, dbRef, opsRef);
  await t.step('WaitForTurn', waitForTurn, (w) => (w.length ? `waited for ${w.join(', ')}` : 'no other operation on this database'));
  if ((input.spec.apply ?? 'IfReady') === 'IfReady') {
    t.planBefore('DatabaseReady', 'PauseDatabase');
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
export async function whilePaused(ops: OpsContext, body: () => Promise<void>, onFailure?: () => Promise<void>): Promise<unknown> {
  const { t, long, dbRef, requester } = ops;
  let failure: unknown;
  try {
    await t.step('PauseDatabase', () => long.pauseDatabase(dbRef, requester), () => 'the provisioner acknowledged the pause');
    await body();
  } catch (e) {
    failure = e;
    if (onFailure && !isCancellation(e)) {
      // A failure of the clean-up is reported with the original one, never swallowed.
      await CancellationScope.nonCancellable(onFailure).catch((cleanup: unknown) => {
        failure = new Error(`${errorMessage(e)}; and then ${errorMessage(cleanup)}`);
      });
    }
  }
  try {
    await CancellationScope.nonCancellable(() => t.step('ResumeDatabase', () => ops.persistent.resumeDatabase(dbRef, requester), () => 'the provisioner manages the database again'));
  } catch (e) {
    // Retried without bound, so only a permanent error gets here; the provisioner also clears a
    // pause whose run has closed. The run still ends with a final phase that says so.
    failure ??= new Error(`could not resume ${dbRef.kind} ${dbRef.name}: ${errorMessage(e)}`);
  }
  return failure;
}

/** Ends the run after whilePaused: Successful, or Failed with the reason (a cancel is re-thrown). */
export async function conclude(ops: OpsContext, failure: unknown, success: string): Promise<OpsResult> {
  if (failure !== undefined) {
    const message = isCancellation(failure) ? 'cancelled (the OpsRequest was deleted or the run was cancelled); the database is resumed' : errorMessage(failure);
    await CancellationScope.nonCancellable(() => ops.finish('Failed', message));
    if (isCancellation(failure)) throw failure;
    return { phase: 'Failed', message };
  }
  return ops.finish('Successful', success);
}

/**
 * One RestartPod-<pod> step: roll the Pod (onto the update revision, or replacing the Pod with
 * restartUid), then the engine's check, whose message ends the step's.
 */
export async function rollPodStep(ops: OpsContext, statefulSet: string, pod: string, check: () => Promise<string>, restartUid?: string): Promise<void> {
  const { t, long, input } = ops;
  await t.step(`RestartPod-${pod}`, async () => {
    const r = await long.rollPod(input.namespace, statefulSet, pod, restartUid);
    if (r.replaced) countPodRolled(ops.metricTags);
    const verdict = await check();
    return `${r.replaced ? `replaced in ${r.seconds.toFixed(1)} s` : 'already done'}; ${verdict}`;
  });
}
