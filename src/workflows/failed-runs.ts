// A run whose OpsRequest ends Failed also ends FAILED in Temporal (not COMPLETED), so the Web UI's
// status filter, the Failures view, `temporal workflow list --query 'ExecutionStatus="Failed"'` and
// the SDK's temporal_workflow_failed metric see it. The OpsRequest's phase and message are written
// before (unchanged); the failure carries the same message, type OpsRequestFailed, and the result as
// its details. One inbound interceptor, so no workflow's own code changes; behind patched() so
// histories that completed with {phase: Failed} replay unchanged. Skipped and Successful complete.
import { ApplicationFailure, patched, type Next, type WorkflowExecuteInput, type WorkflowInboundCallsInterceptor, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { OpsResult } from './shared.ts';

export const FAILED_RUN_TYPE = 'OpsRequestFailed';

const isFailedResult = (r: unknown): r is OpsResult =>
  typeof r === 'object' && r !== null && (r as OpsResult).phase === 'Failed' && typeof (r as OpsResult).message === 'string';

class FailedRunInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const result = await next(input);
    if (isFailedResult(result) && patched('failed-opsrequest-fails-run')) {
      throw ApplicationFailure.create({ message: result.message, type: FAILED_RUN_TYPE, nonRetryable: true, details: [result] });
    }
    return result;
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new FailedRunInterceptor()] });
