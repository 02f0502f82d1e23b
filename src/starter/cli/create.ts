// Creating an OpsRequest and starting its workflow at once (submit, update-version, restart): the
// same workflow id and policies as the watcher (startOpsWorkflow), so the two never race into two
// runs; status.workflow is recorded the way the watcher records it. Everything that can refuse the
// request (file, type, database, Temporal) is checked before anything is created.
import { REQUESTED_BY_ANNOTATION } from '../../api/approval.ts';
import { API_VERSION, GROUP, VERSION } from '../../api/common.ts';
import { kindInfo } from '../../api/kinds.ts';
import type { OpsRequestStatus } from '../../api/opsrequests.ts';
import { updateStatus } from '../../k8s/resources.ts';
import { workflowTypeFor } from '../../api/registry.ts';
import { startOpsWorkflow, type StartedRun } from '../../temporal/client.ts';
import { opsInputFrom } from '../../temporal/input.ts';
import type { Ctx } from './context.ts';
import { CliError, EXIT } from './errors.ts';
import { databaseOf, dbKindOfOps, requireDatabase, type OpsObject } from './refs.ts';
import { whoami } from './whoami.ts';

export interface NewOps {
  kind: OpsObject['kind'];
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: OpsObject['spec'];
}

export async function createAndStart(ctx: Ctx, o: NewOps): Promise<{ ops: OpsObject; run: StartedRun }> {
  const namespace = o.metadata.namespace ?? ctx.namespace;
  if (namespace !== ctx.namespace) ctx.namespace = namespace;
  if (!workflowTypeFor(o.kind, o.spec.type)) throw new CliError(`spec.type: ${o.spec.type} is not supported for ${o.kind} yet`, EXIT.usage);
  const client = await ctx.temporal();
  const dbKind = dbKindOfOps(o.kind);
  await requireDatabase(ctx, dbKind, databaseOf(o), `spec.${o.kind === 'ProxySQLOpsRequest' ? 'proxyRef' : 'databaseRef'}`);
  // The requester, as the API server knows them (checked by its admission policy): nobody approves their own request.
  const requestedBy = await whoami(ctx).catch((e: unknown) => {
    if (o.spec.approval === 'Required') throw e;
    return undefined;
  });
  if (requestedBy) o.metadata.annotations = { ...o.metadata.annotations, [REQUESTED_BY_ANNOTATION]: requestedBy };
  const created = (await ctx.kube.custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: kindInfo(o.kind).plural, namespace,
    body: { apiVersion: API_VERSION, kind: o.kind, metadata: { ...o.metadata, namespace }, spec: o.spec },
  })) as OpsObject;
  const input = opsInputFrom(o.kind, created);
  const run = await startOpsWorkflow(client, ctx.config.temporal, input);
  const ref = { kind: o.kind, namespace, name: created.metadata.name };
  const uid = created.metadata.uid;
  await updateStatus<OpsObject, OpsRequestStatus>(ctx.kube, ref, (cur) => (cur.metadata.uid === uid && (cur.status?.workflow?.id !== run.id || cur.status.workflow.runId !== run.runId)
    ? { ...cur.status, phase: cur.status?.phase ?? 'Pending', workflow: { id: run.id, runId: run.runId, url: run.url } } : undefined));
  await warnWithoutWorkers(ctx, client);
  return { ops: { ...created, status: { ...created.status, workflow: { id: run.id, runId: run.runId, url: run.url } } }, run };
}

/**
 * A run on a task queue no worker polls waits forever, and holds its database's queue meanwhile:
 * say so on stderr (the request stands; a worker started on that queue later picks it up).
 */
async function warnWithoutWorkers(ctx: Ctx, client: Awaited<ReturnType<Ctx['temporal']>>): Promise<void> {
  const { namespace, taskQueue } = ctx.config.temporal;
  const pollers = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 /* WORKFLOW */ })
    .then((r) => r.pollers?.length ?? 0, () => undefined);
  if (pollers === 0) {
    process.stderr.write(`warning: no worker polls task queue "${taskQueue}" in Temporal namespace "${namespace}" (OPSFLOW_TASK_QUEUE): the run waits until one does, and holds the database's later requests meanwhile\n`);
  }
}
