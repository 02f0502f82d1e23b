// opsflow update-version postgres/mydb --to 16.4 [--wait]: an UpdateVersion OpsRequest with a generated name.
import { parse } from './args.ts';
import { createAndStart } from './create.ts';
import { CliError, EXIT } from './errors.ts';
import { dbKinds, parseDbRef } from './refs.ts';
import { announceAndMaybeWait } from './submit.ts';
import { commonOpsFlags, opsSpecFlags, type OpsSpecFlags } from './spec-flags.ts';
import { usages } from './usage.ts';


export async function updateVersion(argv: string[]): Promise<number> {
  const a = parse<{ to?: string; wait?: boolean } & OpsSpecFlags>(argv, { to: { type: 'string' }, wait: { type: 'boolean' }, ...commonOpsFlags }, usages.updateVersion);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one database, e.g. postgres/mydb\nusage: ${usages.updateVersion}`, EXIT.usage);
  const db = parseDbRef(a.positionals[0]);
  if (!a.values.to) throw new CliError(`--to: the target version is required\nusage: ${usages.updateVersion}`, EXIT.usage);
  const ctx = a.ctx();
  const info = dbKinds[db.kind];
  const { ops, run } = await createAndStart(ctx, {
    kind: info.ops,
    metadata: { generateName: `${db.name}-update-${a.values.to.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-` },
    spec: { type: 'UpdateVersion', [info.refField]: { name: db.name }, updateVersion: { targetVersion: a.values.to }, ...opsSpecFlags(a.values) },
  });
  return announceAndMaybeWait(ctx, ops, run.url, a.values.wait ?? false);
}
