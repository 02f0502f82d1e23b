// opsflow list [-A] [--phase X] [--database Y] [--type Z]: OpsRequests of every kind, filtered.
import { listCustom } from '../../k8s/resources.ts';
import { parse } from './args.ts';
import { EXIT } from './errors.ts';
import { opsJson, printJson } from './output.ts';
import { databaseOf, opsKindList, type OpsObject } from './refs.ts';
import { renderTable } from './render.ts';
import { usages } from './usage.ts';


export async function list(argv: string[]): Promise<number> {
  const a = parse<{ 'all-namespaces'?: boolean; phase?: string; database?: string; type?: string }>(argv, {
    'all-namespaces': { type: 'boolean', short: 'A' }, phase: { type: 'string' }, database: { type: 'string' }, type: { type: 'string' },
  }, usages.list);
  if (!a) return EXIT.ok;
  const ctx = a.ctx();
  const ns = a.values['all-namespaces'] ? undefined : ctx.namespace;
  const all = (await Promise.all(opsKindList.map((k) => listCustom<OpsObject>(ctx.kube, k, ns)))).flat();
  const lower = (s: string | undefined) => s?.toLowerCase();
  const db = a.values.database?.includes('/') ? a.values.database.split('/')[1] : a.values.database;
  const rows = all.filter((o) => (!a.values.phase || lower(o.status?.phase ?? 'Pending') === lower(a.values.phase))
    && (!db || databaseOf(o) === db)
    && (!a.values.type || lower(o.spec.type) === lower(a.values.type)))
    .sort((x, y) => (x.metadata.creationTimestamp ?? '').localeCompare(y.metadata.creationTimestamp ?? '') || x.metadata.name.localeCompare(y.metadata.name));
  if (ctx.json) printJson(rows.map((o) => opsJson(o)));
  else ctx.say(rows.length ? renderTable(rows) : `no OpsRequests${ns ? ` in namespace ${ns}` : ''} match`);
  return EXIT.ok;
}
