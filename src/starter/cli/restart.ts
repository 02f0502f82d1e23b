// opsflow restart postgres/mydb [--wait]: a Restart OpsRequest with a generated name.
import { parse } from './args.ts';
import { createAndStart } from './create.ts';
import { CliError, EXIT } from './errors.ts';
import { dbKinds, parseDbRef } from './refs.ts';
import { announceAndMaybeWait } from './submit.ts';
import { commonOpsFlags, opsSpecFlags, type OpsSpecFlags } from './spec-flags.ts';

export const usage = 'opsflow restart <postgres|singlestore|proxysql>/<name> [--wait] [--approval Required] [--timeout 10m] [-n ns] [-o json]';

export async function restart(argv: string[]): Promise<number> {
  const a = parse<{ wait?: boolean } & OpsSpecFlags>(argv, { wait: { type: 'boolean' }, ...commonOpsFlags }, usage);
  if (!a) return EXIT.ok;
  if (a.positionals.length !== 1) throw new CliError(`expected one database, e.g. postgres/mydb\nusage: ${usage}`, EXIT.usage);
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
