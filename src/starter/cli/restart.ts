// opsflow restart postgres/mydb [--wait]: a Restart OpsRequest with a generated name.
import { parse } from './args.ts';
import { createAndStart } from './create.ts';
import { CliError, EXIT } from './errors.ts';
import { dbKinds, parseDbRef } from './refs.ts';
import { announceAndMaybeWait } from './submit.ts';
import { commonOpsFlags, opsSpecFlags, type OpsSpecFlags } from './spec-flags.ts';
import { usages } from './usage.ts';


export async function restart(argv: string[]): Promise<number> {
  const a = parse<{ wait?: boolean } & OpsSpecFlags>(argv, { wait: { type: 'boolean' }, ...commonOpsFlags }, usages.restart);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one database, e.g. postgres/mydb\nusage: ${usages.restart}`, EXIT.usage);
  const db = parseDbRef(a.positionals[0]);
  const ctx = a.ctx();
  const info = dbKinds[db.kind];
  const { ops, run } = await createAndStart(ctx, {
    kind: info.ops,
    metadata: { generateName: `${db.name}-restart-` },
    spec: { type: 'Restart', [info.refField]: { name: db.name }, ...opsSpecFlags(a.values) },
  });
  return announceAndMaybeWait(ctx, ops, run.url, a.values.wait ?? false);
}
