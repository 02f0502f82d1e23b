// Naming things on the command line: databases as postgres/mydb (singlestore/…, proxysql/…) and
// OpsRequests as kind/name (pgops/x, postgresopsrequest/x, …) or a bare name looked up in every kind.
import type { OpsRequestStatus } from '../../api/opsrequests.ts';
import { engineOfOps, engines, opsKinds, type DatabaseKind } from '../../api/registry.ts';
import { isNotFound } from '../../k8s/client.ts';
import { getCustom } from '../../k8s/resources.ts';
import type { OpsInput } from '../../workflows/shared.ts';
import type { Ctx } from './context.ts';
import { CliError, EXIT } from './errors.ts';

export type OpsKind = OpsInput['kind'];
export type DbKind = DatabaseKind;

export interface OpsObject {
  apiVersion: string;
  kind: OpsKind;
  metadata: { name: string; namespace: string; uid: string; creationTimestamp?: string; annotations?: Record<string, string>; resourceVersion?: string };
  spec: OpsInput['spec'];
  status?: OpsRequestStatus;
}

export const dbKinds = Object.fromEntries(engines.map((e) => [e.database, { ops: e.opsKind, aliases: [...e.aliases], refField: e.refField }])) as
  Record<DbKind, { ops: OpsKind; aliases: string[]; refField: 'databaseRef' | 'proxyRef' }>;

const opsAliases = Object.fromEntries(engines.map((e) => [e.opsKind, [...e.opsAliases]])) as Record<OpsKind, string[]>;
export const opsKindList: OpsKind[] = opsKinds;

export const dbKindOfOps = (kind: OpsKind): DbKind => engineOfOps(kind)?.database ?? 'Postgres';

/** postgres/mydb → Postgres mydb. */
export function parseDbRef(ref: string | undefined): { kind: DbKind; name: string } {
  const [k = '', name = '', extra] = (ref ?? '').split('/');
  const kind = (Object.keys(dbKinds) as DbKind[]).find((x) => dbKinds[x].aliases.includes(k.toLowerCase()));
  if (!kind || !name || extra !== undefined) throw new CliError(`database: expected postgres/<name>, singlestore/<name> or proxysql/<name>, got "${ref ?? ''}"`, EXIT.usage);
  return { kind, name };
}

/** Fails with exit code 4 unless the database exists. */
export async function requireDatabase(ctx: Ctx, kind: DbKind, name: string, field = 'database'): Promise<void> {
  try {
    await getCustom(ctx.kube, { kind, namespace: ctx.namespace, name });
  } catch (e) {
    if (isNotFound(e)) throw new CliError(`${field}: ${kind} "${name}" not found in namespace ${ctx.namespace}`, EXIT.notFound);
    throw e;
  }
}

async function tryGet(ctx: Ctx, kind: OpsKind, name: string): Promise<OpsObject | undefined> {
  try {
    return await getCustom<OpsObject>(ctx.kube, { kind, namespace: ctx.namespace, name });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The OpsRequest named kind/name or name (unique across kinds), or exit code 4. */
export async function resolveOps(ctx: Ctx, ref: string | undefined): Promise<OpsObject> {
  if (!ref) throw new CliError('an OpsRequest is required: <name> or <kind>/<name> (e.g. pgops/mydb-update)', EXIT.usage);
  const [a = '', b] = ref.split('/');
  if (b !== undefined) {
    const kind = opsKindList.find((k) => opsAliases[k].includes(a.toLowerCase()) || k === a);
    if (!kind) throw new CliError(`${ref}: unknown OpsRequest kind ${a} (use pgops, sdbops or prxops)`, EXIT.usage);
    const o = await tryGet(ctx, kind, b);
    if (!o) throw new CliError(`${kind} "${b}" not found in namespace ${ctx.namespace}`, EXIT.notFound);
    return o;
  }
  const found = (await Promise.all(opsKindList.map((k) => tryGet(ctx, k, a)))).filter((o): o is OpsObject => o !== undefined);
  if (found.length === 0) throw new CliError(`OpsRequest "${a}" not found in namespace ${ctx.namespace}`, EXIT.notFound);
  if (found.length > 1) throw new CliError(`"${a}" names ${found.map((o) => o.kind).join(' and ')}: say which, e.g. pgops/${a}`, EXIT.usage);
  return found[0] as OpsObject;
}

export const databaseOf = (o: { spec: OpsInput['spec'] }): string => o.spec.databaseRef?.name ?? o.spec.proxyRef?.name ?? '';
