// opsflow approve <ops> [--as user]: sets the annotation opsflow.dev/approved-by to the user the API
// server authenticates (SelfSubjectReview). The API server's admission policy (opsflow-approval)
// refuses any other name and the requester's own; the watcher then wakes the run, which reads the
// approver back from the OpsRequest. No Temporal signal: a signal alone approves nothing.
import { APPROVED_BY_ANNOTATION, REQUESTED_BY_ANNOTATION } from '../../api/approval.ts';
import { terminalPhases } from '../../api/opsrequests.ts';
import { mergePatch } from '../../k8s/apply.ts';
import { apiErrorMessage, isApiError } from '../../k8s/client.ts';
import { parse } from './args.ts';
import { CliError, EXIT } from './errors.ts';
import { resolveOps } from './refs.ts';
import { usages } from './usage.ts';
import { whoami } from './whoami.ts';

export async function approve(argv: string[]): Promise<number> {
  const a = parse<{ by?: string }>(argv, { by: { type: 'string' } }, usages.approve);
  if (!a) return EXIT.ok;
  if (a.values.by !== undefined) {
    throw new CliError('--by: the approver is the user the API server authenticates, not a name you give (to act as another user, use --as <user>, as with kubectl)', EXIT.usage);
  }
  if (a.positionals.length !== 1) throw new CliError(`expected one OpsRequest\nusage: ${usages.approve}`, EXIT.usage);
  const ctx = a.ctx();
  const ops = await resolveOps(ctx, a.positionals[0]);
  const phase = ops.status?.phase ?? 'Pending';
  if (ops.spec.approval !== 'Required') throw new CliError(`${ops.metadata.name} needs no approval (spec.approval is ${ops.spec.approval ?? 'Automatic'})`, EXIT.state);
  if (terminalPhases.includes(phase)) throw new CliError(`${ops.metadata.name} is already ${phase}`, EXIT.state);
  const me = await whoami(ctx);
  if (ops.metadata.annotations?.[REQUESTED_BY_ANNOTATION] === me) throw new CliError(`${me} requested ${ops.metadata.name} and cannot approve it; another user must`, EXIT.state);
  try {
    await mergePatch(ctx.kube, { apiVersion: ops.apiVersion, kind: ops.kind, metadata: { name: ops.metadata.name, namespace: ops.metadata.namespace, annotations: { [APPROVED_BY_ANNOTATION]: me } } });
  } catch (e) {
    // The admission policy's own message (e.g. the requester approving).
    if (isApiError(e, 422) || isApiError(e, 403)) throw new CliError(`the API server refused the approval: ${apiErrorMessage(e)}`, EXIT.state);
    throw e;
  }
  ctx.say(`approved ${ops.kind} ${ops.metadata.namespace}/${ops.metadata.name} as ${me}`);
  return EXIT.ok;
}
