// Polling with heartbeats: long activities wait for the cluster by polling, heartbeating each time
// so a crashed worker is noticed within the heartbeat timeout and the retry resumes the wait.
import { Context, ApplicationFailure } from '@temporalio/activity';
import { recordHeartbeat } from './liveness.ts';

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function heartbeat(details?: unknown): void {
  const ctx = inActivity();
  if (ctx) recordHeartbeat(ctx, details);
}

/** Polls until check() returns a value; the activity's own timeout bounds the wait. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number, details?: () => unknown): Promise<T> {
  const ctx = inActivity();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (ctx) recordHeartbeat(ctx, details?.());
    if (ctx) await ctx.sleep(intervalMs);
    else await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A failure no retry can fix: validation errors, impossible steps. */
export function impossible(message: string, type = 'OpsflowImpossible'): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

/** Sleeps; inside an activity, with its cancellable sleep (a cancelled or timed-out attempt stops waiting). */
export function activitySleep(ms: number): Promise<void> {
  const ctx = inActivity();
  return ctx ? ctx.sleep(ms) : new Promise((r) => setTimeout(r, ms));
}

/** The time left before this attempt's startToCloseTimeout, less a margin to report an error (ms). */
export function attemptTimeLeftMs(fallbackMs: number, marginMs = 2_000): number {
  const info = inActivity()?.info;
  if (!info?.startToCloseTimeoutMs) return fallbackMs;
  return Math.max(0, info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs - marginMs - Date.now());
}
