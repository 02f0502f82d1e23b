// opsflow retry <ops>: starts a Failed run again from its first unfinished step, the way a reset in
// the Temporal Web UI does: the run is reset to the workflow task that scheduled PauseDatabase (it
// resumed the database when it failed, so the retry pauses it again before any Pod is touched;
// Pods rolled before the failure are "already done"). The OpsRequest goes back to Progressing with
// the new run id; the watcher then sees a running run under the same workflow id and leaves it be.
import { randomUUID } from 'node:crypto';
import type { OpsRequestStatus } from '../../api/opsrequests.ts';
import { updateStatus } from '../../k8s/resources.ts';
import { workflowUrl } from '../../temporal/ids.ts';
import { resetPointFor, stepsKeptByReset } from '../../temporal/reset-point.ts';
import { parse } from './args.ts';
import { printJson } from './output.ts';
import { CliError, EXIT } from './errors.ts';
import { workflowIdOf } from './progress.ts';
import { resolveOps, type OpsObject } from './refs.ts';
import { usages } from './usage.ts';


export async function retry(argv: string[]): Promise<number> {
  const a = parse(argv, {}, usages.retry);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one OpsRequest\nusage: ${usages.retry}`, EXIT.usage);
  const ctx = a.ctx();
  const ops = await resolveOps(ctx, a.positionals[0]);
  const phase = ops.status?.phase ?? 'Pending';
  const client = await ctx.temporal();
  const id = workflowIdOf(ops);
  const handle = client.workflow.getHandle(id);
  const d = await handle.describe().catch((e: unknown) => {
    if ((e as { name?: string }).name === 'WorkflowNotFoundError') throw new CliError(`${ops.metadata.name} has no workflow run to retry`, EXIT.state);
    throw e;
  });
  if (d.status.name === 'RUNNING') throw new CliError(`${ops.metadata.name} is still running (phase ${phase}); only a Failed or terminated run can be retried`, EXIT.state);
  const terminated = ['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELLED'].includes(d.status.name);
  if (phase !== 'Failed' && !terminated) throw new CliError(`${ops.metadata.name} is ${phase}; only a Failed or terminated run can be retried`, EXIT.state);
  const history = await client.workflow.getHandle(id, d.runId).fetchHistory();
  const point = resetPointFor(history.events ?? []);
  const { namespace } = ctx.config.temporal;
  const res: { runId?: string | null } = await client.workflowService.resetWorkflowExecution({
    namespace,
    workflowExecution: { workflowId: id, runId: d.runId },
    reason: `opsflow retry: from ${point.from} (event ${point.eventId}) after ${phase}`,
    // int64 in the proto; protobufjs takes a plain number.
    workflowTaskFinishEventId: point.eventId as never,
    requestId: randomUUID(),
  });
  const runId = res.runId ?? '';
  const url = workflowUrl(ctx.config.temporal.uiUrl, namespace, id, runId);
  const keep = stepsKeptByReset(point.from);
  const ref = { kind: ops.kind, namespace: ops.metadata.namespace, name: ops.metadata.name };
  await updateStatus<OpsObject, OpsRequestStatus>(ctx.kube, ref, (cur) => (cur.metadata.uid === ops.metadata.uid ? {
    ...cur.status,
    phase: 'Progressing',
    message: `retrying from ${point.from === 'start' ? 'the start' : point.from} (run ${runId}, reset of ${d.runId})`,
    conditions: (cur.status?.conditions ?? []).filter((c) => keep.includes(c.type)),
    workflow: { id, runId, url },
  } : undefined));
  if (ctx.json) printJson({ kind: ops.kind, namespace: ref.namespace, name: ref.name, from: point.from, resetEventId: point.eventId, previousRunId: d.runId, workflow: { id, runId, url } });
  ctx.say(`retrying ${ops.kind} ${ref.namespace}/${ref.name} from ${point.from} (reset to event ${point.eventId}); new run ${runId}\nWeb UI   ${url}`);
  return EXIT.ok;
}
