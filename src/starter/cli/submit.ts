// opsflow submit -f ops.yaml [--wait]: validate the file, create the OpsRequest, start its workflow.
import { parse } from './args.ts';
import type { Ctx } from './context.ts';
import { createAndStart } from './create.ts';
import { EXIT } from './errors.ts';
import { exitFor, follow } from './follow.ts';
import { readOpsFile } from './opsfile.ts';
import { opsJson, printJson } from './output.ts';
import type { OpsObject } from './refs.ts';
import { describeTarget, renderStatus } from './render.ts';
import { usages } from './usage.ts';


export async function submit(argv: string[]): Promise<number> {
  const a = parse<{ filename?: string; wait?: boolean }>(argv, { filename: { type: 'string', short: 'f' }, wait: { type: 'boolean' } }, usages.submit);
  if (!a) return EXIT.ok;
  const doc = readOpsFile(a.values.filename);
  const ctx = a.ctx();
  const { ops, run } = await createAndStart(ctx, { kind: doc.kind, metadata: doc.metadata, spec: doc.spec });
  return announceAndMaybeWait(ctx, ops, run.url, a.values.wait ?? false);
}

/** Shared by submit, update-version and restart: what was created, then (--wait) its run to the end. */
export async function announceAndMaybeWait(ctx: Ctx, ops: OpsObject, url: string, wait: boolean): Promise<number> {
  ctx.say(`created ${ops.kind} ${ops.metadata.namespace}/${ops.metadata.name} (${describeTarget(ops)})`);
  ctx.say(`workflow ${ops.status?.workflow?.id ?? ''}\nWeb UI   ${url}`);
  if (!wait) {
    if (ctx.json) printJson(opsJson(ops));
    return EXIT.ok;
  }
  const end = await follow(ctx, ops);
  if (ctx.json) printJson(opsJson(end.ops, end.progress, end.source));
  else ctx.say(`\n${renderStatus(end.ops, end.progress, end.source)}`);
  return exitFor(end.ops.status?.phase);
}
