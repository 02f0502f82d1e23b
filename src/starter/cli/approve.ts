// opsflow approve <ops> [--by name]: records who approved (annotation opsflow.dev/approved-by, which
// kubectl users can also set by hand) and sends the run the approve signal.
import { userInfo } from 'node:os';
import { APPROVED_BY_ANNOTATION } from '../../api/approval.ts';
import { terminalPhases } from '../../api/opsrequests.ts';
import { mergePatch } from '../../k8s/apply.ts';
import { approveSignal } from '../../workflows/shared.ts';
import { parse } from './args.ts';
import { CliError, EXIT } from './errors.ts';
import { workflowIdOf } from './progress.ts';
import { resolveOps } from './refs.ts';
import { usages } from './usage.ts';


export async function approve(argv: string[]): Promise<number> {
  const a = parse<{ by?: string }>(argv, { by: { type: 'string' } }, usages.approve);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one OpsRequest\nusage: ${usages.approve}`, EXIT.usage);
  const ctx = a.ctx();
  const ops = await resolveOps(ctx, a.positionals[0]);
  const phase = ops.status?.phase ?? 'Pending';
  if (ops.spec.approval !== 'Required') throw new CliError(`${ops.metadata.name} needs no approval (spec.approval is ${ops.spec.approval ?? 'Automatic'})`, EXIT.state);
  if (terminalPhases.includes(phase)) throw new CliError(`${ops.metadata.name} is already ${phase}`, EXIT.state);
  const by = a.values.by ?? process.env.USER ?? userInfo().username;
  const client = await ctx.temporal();
  await mergePatch(ctx.kube, { apiVersion: ops.apiVersion, kind: ops.kind, metadata: { name: ops.metadata.name, namespace: ops.metadata.namespace, annotations: { [APPROVED_BY_ANNOTATION]: by } } });
  try {
    await client.workflow.getHandle(workflowIdOf(ops)).signal(approveSignal, { by });
  } catch (e) {
    // Not started yet: the watcher forwards the annotation once the run waits for approval.
    if ((e as { name?: string }).name !== 'WorkflowNotFoundError') throw e;
  }
  ctx.say(`approved ${ops.kind} ${ops.metadata.namespace}/${ops.metadata.name} as ${by}`);
  return EXIT.ok;
}
