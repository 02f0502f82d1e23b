// opsflow status <kind/name | name> [--watch]: phase, message, every step with its state and
// duration, a Pod progress bar while Pods roll, and the Web UI link.
import { parse } from './args.ts';
import { CliError, EXIT } from './errors.ts';
import { exitFor, follow } from './follow.ts';
import { opsJson, printJson } from './output.ts';
import { readRun } from './progress.ts';
import { resolveOps } from './refs.ts';
import { renderStatus } from './render.ts';
import { usages } from './usage.ts';


export async function status(argv: string[]): Promise<number> {
  const a = parse<{ watch?: boolean }>(argv, { watch: { type: 'boolean', short: 'w' } }, usages.status);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one OpsRequest\nusage: ${usages.status}`, EXIT.usage);
  const ctx = a.ctx();
  const ops = await resolveOps(ctx, a.positionals[0]);
  if (a.values.watch) {
    const run = await readRun(ctx, ops);
    ctx.say(renderStatus(ops, run.progress, run.source));
    ctx.say('');
    const end = await follow(ctx, ops);
    if (ctx.json) printJson(opsJson(end.ops, end.progress, end.source));
    else ctx.say(`\n${renderStatus(end.ops, end.progress, end.source)}`);
    return exitFor(end.ops.status?.phase);
  }
  const run = await readRun(ctx, ops);
  if (ctx.json) printJson({ ...opsJson(ops, run.progress, run.source), execution: run.execution ?? null });
  else ctx.say(renderStatus(ops, run.progress, run.source));
  return EXIT.ok;
}
