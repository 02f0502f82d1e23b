// The watcher follows every open OpsRequest's run: a run that closed without writing a final phase
// (failed, terminated or cancelled from the Web UI or `temporal workflow terminate`, timed out, or
// completed while its last status write was lost) gets its final phase here, and a run whose
// workflow task keeps failing (a bug, a non-determinism) shows it as a condition with the error.
import { getCondition, setCondition } from '../api/conditions.ts';
import { terminalPhases, type OpsRequestStatus } from '../api/opsrequests.ts';
import type { Kube } from '../k8s/client.ts';
import { updateStatus, type CustomRef } from '../k8s/resources.ts';
import type { Logger } from '../logger.ts';
import type { RunInfo, RunStatusName, RunStatusReader } from './run-status.ts';

export const WORKFLOW_TASK_FAILING = 'WorkflowTaskFailing';
export const RUN_CLOSED = 'WorkflowRunClosed';
/** From this attempt on, a failing workflow task is reported (attempt 1 is the first try). */
export const REPORT_FROM_ATTEMPT = 2;

const closeWords: Partial<Record<RunStatusName, string>> = {
  FAILED: 'failed', TERMINATED: 'was terminated', CANCELLED: 'was cancelled', TIMED_OUT: 'timed out',
};

const at = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Pure: the status for a closed run, or undefined when nothing changes (already final, still open). */
export function closedRunStatus(prev: OpsRequestStatus | undefined, status: RunStatusName, outcome: { result?: unknown; error?: string }, now: string): OpsRequestStatus | undefined {
  if (terminalPhases.includes(prev?.phase ?? 'Pending')) return undefined;
  if (status === 'COMPLETED') {
    const r = outcome.result as { phase?: string; message?: string } | undefined;
    const phase = r?.phase && terminalPhases.includes(r.phase as never) ? (r.phase as OpsRequestStatus['phase']) : 'Failed';
    const message = r?.message ?? 'the run completed without a result';
    const conditions = setCondition(prev?.conditions, { type: RUN_CLOSED, status: 'True', reason: 'Completed', message: `the run completed: ${phase}` }, now);
    return { ...prev, phase, message, conditions };
  }
  const words = closeWords[status];
  if (!words) return undefined;
  const message = `the workflow run ${words} (${status})${outcome.error ? `: ${outcome.error}` : ''}; the provisioner resumes a database it left paused`;
  const reason = status.charAt(0) + status.slice(1).toLowerCase().replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
  const conditions = setCondition(prev?.conditions, { type: RUN_CLOSED, status: 'False', reason, message }, now);
  return { ...prev, phase: 'Failed', message, conditions };
}

/** Pure: the status with the WorkflowTaskFailing condition set or cleared, or undefined when unchanged. */
export function workflowTaskStatus(prev: OpsRequestStatus | undefined, run: RunInfo, failure: string | undefined, now: string): OpsRequestStatus | undefined {
  if (terminalPhases.includes(prev?.phase ?? 'Pending')) return undefined;
  const had = getCondition(prev?.conditions, WORKFLOW_TASK_FAILING);
  const attempt = run.workflowTaskAttempt ?? 0;
  if (attempt >= REPORT_FROM_ATTEMPT) {
    const message = `the workflow task keeps failing (attempt ${attempt}): ${failure ?? 'no error recorded'}; fix the worker or reset the run in the Temporal Web UI`;
    if (had?.status === 'True' && had.message === message) return undefined;
    return { ...prev, conditions: setCondition(prev?.conditions, { type: WORKFLOW_TASK_FAILING, status: 'True', reason: 'WorkflowTaskFailed', message }, now) };
  }
  if (had?.status !== 'True') return undefined;
  return { ...prev, conditions: setCondition(prev?.conditions, { type: WORKFLOW_TASK_FAILING, status: 'False', reason: 'Recovered', message: 'workflow tasks complete again' }, now) };
}

/**
 * Checks one run and writes what it found (conditional status writes). Returns whether the run is
 * closed. `known`: the status as the caller's cache has it; a healthy open run whose cached status
 * needs no change costs no API call.
 */
export async function followRun(kube: Kube, runs: RunStatusReader, log: Logger, ref: CustomRef, uid: string, workflowId: string, described?: RunInfo, known?: OpsRequestStatus): Promise<boolean> {
  const run = described ?? await runs.describe(workflowId);
  type Ops = { metadata?: { uid?: string }; status?: OpsRequestStatus };
  if (run.status === 'RUNNING') {
    const failure = (run.workflowTaskAttempt ?? 0) >= REPORT_FROM_ATTEMPT ? await runs.lastWorkflowTaskFailure(workflowId) : undefined;
    if (known && workflowTaskStatus(known, run, failure, at()) === undefined) return false;
    const next = await updateStatus<Ops, OpsRequestStatus>(kube, ref, (cur) => (cur.metadata?.uid === uid ? workflowTaskStatus(cur.status, run, failure, at()) : undefined));
    if (next && getCondition(next.conditions, WORKFLOW_TASK_FAILING)?.status === 'True') log.warn('workflow task failing', { workflowId, attempt: run.workflowTaskAttempt, error: failure });
    return false;
  }
  if (run.status === 'NOT_FOUND' || run.status === 'CONTINUED_AS_NEW' || run.status === 'UNKNOWN') return false;
  const outcome = await runs.outcome(workflowId);
  const next = await updateStatus<Ops, OpsRequestStatus>(kube, ref, (cur) => (cur.metadata?.uid === uid ? closedRunStatus(cur.status, run.status, outcome, at()) : undefined));
  if (next) log.warn('closed run recorded on the OpsRequest', { workflowId, closeStatus: run.status, phase: next.phase, message: next.message });
  return true;
}
