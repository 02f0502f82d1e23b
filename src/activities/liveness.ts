// Liveness heartbeats: while any activity runs, the worker heartbeats it every second (the SDK sends
// at most one per HEARTBEAT_THROTTLE to the server), repeating the details the activity last gave.
// So a SIGKILLed worker is noticed within the heartbeat timeout of the long steps (ops-steps.ts),
// even during one slow call (a CHECKPOINT, an exec), while a hung step stays bounded by
// startToCloseTimeout: the ticker proves the process is alive, not that the step makes progress.
import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export const HEARTBEAT_EVERY_MS = 1000;
/** The worker's maxHeartbeatThrottleInterval: at most one heartbeat RPC per running activity per 2 s. */
export const HEARTBEAT_THROTTLE = '2s';

const lastDetails = new WeakMap<Context, unknown>();

/** Heartbeats now with these details; the ticker repeats them until the next call. */
export function recordHeartbeat(ctx: Context, details?: unknown): void {
  if (details !== undefined) lastDetails.set(ctx, details);
  ctx.heartbeat(lastDetails.get(ctx));
}

export const livenessInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const timer = setInterval(() => {
        // A heartbeat after the activity was cancelled or completed is a no-op in the SDK.
        ctx.heartbeat(lastDetails.get(ctx));
      }, HEARTBEAT_EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  },
});
