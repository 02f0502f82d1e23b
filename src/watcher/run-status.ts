// What the watcher asks Temporal about a run: its close status, the pending workflow task's
// attempt and the last workflow-task failure (for a run stuck on a bug or a non-determinism), and
// which runs of a database are open (visibility, for a pause whose OpsRequest is gone).
import type { Client } from '@temporalio/client';

export type RunStatusName = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'CONTINUED_AS_NEW' | 'TIMED_OUT' | 'UNKNOWN' | 'NOT_FOUND';

export interface RunInfo {
  status: RunStatusName;
  /** The pending workflow task's attempt (1 when healthy; more while it keeps failing). */
  workflowTaskAttempt?: number;
}

export interface RunStatusReader {
  describe(workflowId: string): Promise<RunInfo>;
  /** The error of the last WorkflowTaskFailed event, if the history has one. */
  lastWorkflowTaskFailure(workflowId: string): Promise<string | undefined>;
  /** The result (completed) or failure message (failed, terminated, timed out, cancelled) of a closed run. */
  outcome(workflowId: string): Promise<{ result?: unknown; error?: string }>;
  /** Ids of the open runs on one database (visibility query on opsflow's search attributes). */
  openRunsOf(namespace: string, database: string): Promise<string[]>;
}

const isNotFound = (e: unknown) => (e as { name?: string }).name === 'WorkflowNotFoundError';

/** The innermost useful message of a Temporal failure chain ("terminated: reason", "activity failed: cause"). */
export function failureMessage(e: unknown): string {
  const parts: string[] = [];
  let cur = e as { message?: string; cause?: unknown } | undefined;
  for (let i = 0; cur && i < 6; i++) {
    if (cur.message && !parts.includes(cur.message)) parts.push(cur.message);
    cur = cur.cause as typeof cur;
  }
  return parts.join(': ') || String(e);
}

export class TemporalRuns implements RunStatusReader {
  constructor(private readonly client: Client) {}

  async describe(workflowId: string): Promise<RunInfo> {
    try {
      const d = await this.client.workflow.getHandle(workflowId).describe();
      const attempt = d.raw.pendingWorkflowTask?.attempt ?? undefined;
      return { status: d.status.name as RunStatusName, ...(attempt ? { workflowTaskAttempt: attempt } : {}) };
    } catch (e) {
      if (isNotFound(e)) return { status: 'NOT_FOUND' };
      throw e;
    }
  }

  async lastWorkflowTaskFailure(workflowId: string): Promise<string | undefined> {
    const history = await this.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    for (let i = events.length - 1; i >= 0; i--) {
      const f = events[i]?.workflowTaskFailedEventAttributes;
      if (f) return f.failure?.message ?? 'workflow task failed';
    }
    return undefined;
  }

  async outcome(workflowId: string): Promise<{ result?: unknown; error?: string }> {
    try {
      return { result: await this.client.workflow.getHandle(workflowId).result() };
    } catch (e) {
      return { error: failureMessage(e) };
    }
  }

  async openRunsOf(namespace: string, database: string): Promise<string[]> {
    const q = `OpsflowNamespace = '${namespace.replace(/'/g, '')}' AND OpsflowDatabase = '${database.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;
    const ids: string[] = [];
    for await (const w of this.client.workflow.list({ query: q })) ids.push(w.workflowId);
    return ids;
  }
}
