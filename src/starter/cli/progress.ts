// A run's progress: from the workflow's progress query when a worker answers, otherwise rebuilt
// from the OpsRequest's conditions (one per step), so status works with the worker down.
import type { Condition } from '../../api/common.ts';
import { workflowIdFor } from '../../temporal/ids.ts';
import { progressQuery, type Progress, type Step } from '../../workflows/shared.ts';
import type { Ctx } from './context.ts';
import type { OpsObject } from './refs.ts';

export interface RunView {
  progress: Progress;
  source: 'workflow' | 'conditions';
  /** The Temporal execution status (RUNNING, COMPLETED, …) when Temporal answered. */
  execution?: string;
  runId?: string;
}

const stateOf = (c: Condition): Step['state'] => (c.status === 'True' ? (c.reason === 'Skipped' ? 'Skipped' : 'Succeeded') : c.status === 'False' ? 'Failed' : 'Running');

/** Pure: the progress the OpsRequest status records. */
export function progressFromStatus(o: OpsObject): Progress {
  const steps = (o.status?.conditions ?? []).map((c): Step => {
    const state = stateOf(c);
    return { name: c.type, state, message: c.message || undefined, ...(state === 'Running' ? { startedAt: c.lastTransitionTime } : { finishedAt: c.lastTransitionTime }) };
  });
  return { phase: o.status?.phase ?? 'Pending', message: o.status?.message ?? '', steps };
}

export const workflowIdOf = (o: OpsObject): string => o.status?.workflow?.id ?? workflowIdFor({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid });

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(timer));
}

export async function readRun(ctx: Ctx, o: OpsObject, queryMs = 3000): Promise<RunView> {
  const fallback: RunView = { progress: progressFromStatus(o), source: 'conditions' };
  let client;
  try {
    client = await within(ctx.temporal(), queryMs + 3000);
  } catch {
    return fallback;
  }
  if (!client) return fallback;
  const handle = client.workflow.getHandle(workflowIdOf(o));
  try {
    const d = await within(handle.describe(), queryMs);
    if (!d) return fallback;
    const p = await within(handle.query(progressQuery), queryMs).catch(() => undefined);
    // The query is fresher than the status (published in the background) and has step times.
    const view = p;
    return view ? { progress: view, source: 'workflow', execution: d.status.name, runId: d.runId } : { ...fallback, execution: d.status.name, runId: d.runId };
  } catch {
    return fallback;
  }
}
