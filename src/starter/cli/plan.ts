// opsflow plan -f ops.yaml: the dry run. Validates the file and the request against the cluster the
// way the workflow's Validate step does, prints the steps and the Pod order; changes nothing.
import { parse } from './args.ts';
import { CliError, EXIT } from './errors.ts';
import { readOpsFile } from './opsfile.ts';
import { printJson } from './output.ts';
import { dryRun } from './planner.ts';
import { databaseOf, dbKindOfOps, requireDatabase } from './refs.ts';
import { usages } from './usage.ts';


export async function plan(argv: string[]): Promise<number> {
  const a = parse<{ filename?: string }>(argv, { filename: { type: 'string', short: 'f' } }, usages.plan);
  if (!a) return EXIT.ok;
  const doc = readOpsFile(a.values.filename);
  const ctx = a.ctx();
  if (doc.metadata.namespace) ctx.namespace = doc.metadata.namespace;
  await requireDatabase(ctx, dbKindOfOps(doc.kind), databaseOf(doc), `spec.${doc.kind === 'ProxySQLOpsRequest' ? 'proxyRef' : 'databaseRef'}`);
  const r = await dryRun(ctx, doc);
  if (ctx.json) {
    printJson({ kind: doc.kind, namespace: ctx.namespace, name: doc.metadata.name ?? null, database: databaseOf(doc), ...r });
  } else if (r.outcome === 'Proceed') {
    ctx.say(`${doc.kind} ${ctx.namespace}/${doc.metadata.name ?? '(generated)'}: ${r.summary}`);
    ctx.say(r.pods.length ? `Pod order: ${r.pods.join(' -> ')}${r.primary ? ` (primary ${r.primary})` : ''}` : 'No Pod is restarted');
    ctx.say('Steps:');
    r.steps.forEach((s, i) => ctx.say(`  ${String(i + 1).padStart(2)}. ${s}`));
    ctx.say('(dry run: nothing was created or changed)');
  }
  if (r.outcome === 'Failed') throw new CliError(`would fail: ${r.summary}`, EXIT.usage);
  if (r.outcome === 'Skipped') ctx.say(`would be skipped: ${r.summary}`);
  return EXIT.ok;
}
