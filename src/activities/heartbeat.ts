// Polling with heartbeats: long activities wait for the cluster by polling, heartbeating each time
// so a crashed worker is noticed within the heartbeat timeout and the retry resumes the wait.
import { Context, ApplicationFailure } from '@temporalio/activity';

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The details each running activity last heartbeated, sent again by a heartbeat that has none of its own. */
const lastDetails = new WeakMap<Context, unknown>();

export function heartbeat(details?: unknown): void {
  const ctx = inActivity();
  if (!ctx) return;
  if (details !== undefined) lastDetails.set(ctx, details);
  ctx.heartbeat(details ?? lastDetails.get(ctx));
}

/**
 * Waits ms. Inside an activity it heartbeats first (keeping the details it last sent) and throws
 * when the activity is cancelled or timed out, so a wait never outlives its attempt. The worker's
 * Kubernetes client waits for an API server that is away with this.
 */
export async function activityWait(ms: number): Promise<void> {
  const ctx = inActivity();
  if (!ctx) return new Promise((r) => setTimeout(r, ms));
  heartbeat();
  await ctx.sleep(ms);
}

/** Polls until check() returns a value; the activity's own timeout bounds the wait. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, intervalMs: number, details?: () => unknown): Promise<T> {
  const ctx = inActivity();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    heartbeat(details?.());
    if (ctx) await ctx.sleep(intervalMs);
    else await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A failure no retry can fix: validation errors, impossible steps. */
export function impossible(message: string, type = 'OpsflowImpossible'): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}
