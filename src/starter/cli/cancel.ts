// opsflow cancel <ops>: cancels the run. The workflow resumes the database and ends Failed saying it
// was cancelled; if it is cancelled before it wrote any phase, the OpsRequest is marked Failed here.
import { terminalPhases, type OpsRequestStatus } from '../../api/opsrequests.ts';
import { getCustom, updateStatus } from '../../k8s/resources.ts';
import { parse } from './args.ts';
import { CliError, EXIT } from './errors.ts';
import { workflowIdOf } from './progress.ts';
import { resolveOps, type OpsObject } from './refs.ts';
import { usages } from './usage.ts';


export async function cancel(argv: string[]): Promise<number> {
  const a = parse(argv, {}, usages.cancel);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one OpsRequest\nusage: ${usages.cancel}`, EXIT.usage);
  const ctx = a.ctx();
  const ops = await resolveOps(ctx, a.positionals[0]);
  const client = await ctx.temporal();
  const handle = client.workflow.getHandle(workflowIdOf(ops));
  const d = await handle.describe().catch((e: unknown) => {
    if ((e as { name?: string }).name === 'WorkflowNotFoundError') throw new CliError(`${ops.metadata.name} has no workflow run yet (phase ${ops.status?.phase ?? 'Pending'})`, EXIT.state);
    throw e;
  });
  if (d.status.name !== 'RUNNING') throw new CliError(`${ops.metadata.name}: its run is not running (${d.status.name}, phase ${ops.status?.phase ?? 'Pending'}); nothing to cancel`, EXIT.state);
  await handle.cancel();
  ctx.say(`cancel requested for ${ops.kind} ${ops.metadata.namespace}/${ops.metadata.name}; waiting for the run to resume the database and stop`);
  await handle.result().catch(() => undefined);
  const ref = { kind: ops.kind, namespace: ops.metadata.namespace, name: ops.metadata.name };
  await updateStatus<OpsObject, OpsRequestStatus>(ctx.kube, ref, (cur) => (cur.metadata.uid === ops.metadata.uid && !terminalPhases.includes(cur.status?.phase ?? 'Pending')
    ? { ...cur.status, phase: 'Failed', message: 'cancelled (opsflow cancel) before it changed anything' } : undefined));
  const end = await getCustom<OpsObject>(ctx.kube, ref);
  ctx.say(`${end.status?.phase}: ${end.status?.message ?? ''}`);
  return EXIT.ok;
}
