// Where `opsflow retry` resets a finished run (pure, over its history): the workflow task that
// scheduled PauseDatabase, so the retry pauses the database again before it touches a Pod (the
// failed run resumed it). Steps before it (validation, approval, turn) are kept; Pod rolls are
// idempotent, so Pods finished before the failure count as "already done". A run that failed
// before pausing starts over from its first workflow task.
export interface HistoryEventLike {
  eventId?: number | string | { toString(): string } | null;
  eventType?: number | string | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
}

export interface ResetPoint {
  /** The WorkflowTaskCompleted event to reset to. */
  eventId: number;
  /** The first step the new run executes again. */
  from: 'PauseDatabase' | 'start';
}

const WORKFLOW_TASK_COMPLETED = [7, 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED', 'WorkflowTaskCompleted'];
const ACTIVITY_TASK_SCHEDULED = [10, 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', 'ActivityTaskScheduled'];

export function resetPointFor(events: readonly HistoryEventLike[]): ResetPoint {
  let lastCompleted: number | undefined;
  let firstCompleted: number | undefined;
  for (const e of events) {
    const id = Number(e.eventId?.toString());
    if (WORKFLOW_TASK_COMPLETED.includes(e.eventType ?? '')) {
      lastCompleted = id;
      firstCompleted ??= id;
    } else if (ACTIVITY_TASK_SCHEDULED.includes(e.eventType ?? '') && e.activityTaskScheduledEventAttributes?.activityType?.name === 'pauseDatabase') {
      if (lastCompleted !== undefined) return { eventId: lastCompleted, from: 'PauseDatabase' };
    }
  }
  if (firstCompleted === undefined) throw new Error('the run has no completed workflow task to reset to');
  return { eventId: firstCompleted, from: 'start' };
}

/** Conditions of steps that ran before the reset point and stay valid in the new run. */
export const stepsKeptByReset = (from: ResetPoint['from']): string[] => (from === 'start' ? [] : ['Validate', 'Approval', 'WaitForTurn', 'DatabaseReady']);
