// Argument parsing for one command (node:util parseArgs): its own flags plus the common ones;
// unknown flags and missing values are usage errors (exit 2).
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { commonOptions, makeCtx, type CommonFlags, type Ctx } from './context.ts';
import { CliError, EXIT } from './errors.ts';

export interface Parsed<V> {
  values: V & CommonFlags & { help?: boolean };
  positionals: string[];
  /** Connections, made on first use (so --help and usage errors need no cluster). */
  ctx: () => Ctx;
}

export function parse<V>(argv: string[], options: ParseArgsOptionsConfig, usage: string): Parsed<V> | undefined {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...commonOptions, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${e instanceof Error ? e.message : String(e)}\nusage: ${usage}`, EXIT.usage);
  }
  const values = r.values as V & CommonFlags & { help?: boolean };
  if (values.help) {
    process.stdout.write(`usage: ${usage}\n`);
    return undefined;
  }
  let ctx: Ctx | undefined;
  return { values, positionals: r.positionals, ctx: () => (ctx ??= makeCtx(values)) };
}
