// Activity summaries for the Temporal Web UI: every scheduled activity gets a one-line summary
// (what it acts on, e.g. "rollPod demo/pg-1"), set by a workflow outbound interceptor so no workflow
// code has to pass one. Summaries are user metadata: they add no command and do not affect replay.
import type { ActivityInput, Next, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/** Pure: "<activity> <the short string arguments>", namespaced names joined, at most 120 characters. */
export function activitySummary(activityType: string, args: unknown[]): string {
  const words: string[] = [];
  for (const a of args) {
    if (typeof a === 'string' && a.length > 0 && a.length <= 63) words.push(a);
    else if (a && typeof a === 'object' && 'name' in a && typeof (a as { name: unknown }).name === 'string') {
      const ref = a as { kind?: unknown; namespace?: unknown; name: string };
      words.push(`${typeof ref.kind === 'string' ? `${ref.kind} ` : ''}${typeof ref.namespace === 'string' ? `${ref.namespace}/` : ''}${ref.name}`);
    }
  }
  const text = [activityType, ...words].join(' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

class SummaryInterceptor implements WorkflowOutboundCallsInterceptor {
  async scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    if (input.options.summary) return next(input);
    return next({ ...input, options: { ...input.options, summary: activitySummary(input.activityType, input.args) } });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new SummaryInterceptor()] });
