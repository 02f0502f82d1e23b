// When the current activity attempt runs out of time (its startToClose timeout, i.e. spec.timeout
// for long steps), so a poll can give up with its own reason (the last problems it saw) just before
// Temporal would time the attempt out with none.
import { Context } from '@temporalio/activity';

/** Epoch ms to give up at: the attempt's start + startToClose - margin; fallbackMs from now outside an activity. */
export function attemptDeadline(fallbackMs: number, marginMs = 3_000): number {
  try {
    const info = Context.current().info;
    return info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs - marginMs;
  } catch {
    return Date.now() + fallbackMs;
  }
}
