// ProxySQL version and cluster-sync probes, over the admin interface (port 6032). The queries are
// ProxySQL's own (global_variables, runtime_checksums_values, stats_proxysql_servers_checksums, with
// their real column names), so they run against real ProxySQL and against opsflow's simulated one
// (devenv/runtime/mysql-sim) alike; the verdicts are pure. A query that fails throws (proxysqlVersion,
// runtimeChecksums) or becomes a problem (checksumsAgree): a check that cannot run never passes.

/** What the probes need of a connection; mysql2/promise's Connection, PoolConnection and Pool fit. */
export interface SqlQueryable {
  query(sql: string): Promise<[unknown, unknown]>;
}

/** One row of runtime_checksums_values: a config module's checksum on one member. */
export interface ChecksumRow {
  name: string;
  version: number;
  epoch: number;
  checksum: string;
}

/** One row of stats_proxysql_servers_checksums: what a member last saw of a peer's checksum. */
export interface PeerChecksumRow extends ChecksumRow {
  hostname: string;
  port: number;
  changedAt: number;
  updatedAt: number;
  diffCheck: number;
}

async function rows(conn: SqlQueryable, sql: string): Promise<Array<Record<string, unknown>>> {
  const [result] = await conn.query(sql);
  if (!Array.isArray(result)) throw new Error(`${sql} returned no result set`);
  return result as Array<Record<string, unknown>>;
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const int = (v: unknown) => (Number.isFinite(Number(v)) ? Number(v) : 0);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** `2.5.5-10-g195bd70` → `2.5.5`; undefined when there is no x.y.z at the start. */
export function versionNumber(v: string): string | undefined {
  return /^\s*(\d+\.\d+\.\d+)/.exec(v)?.[1];
}

/** The member's ProxySQL version (admin-version, e.g. "2.5.5-10-g195bd70") reduced to x.y.z. */
export async function proxysqlVersion(conn: SqlQueryable): Promise<string> {
  const r = await rows(conn, "SELECT variable_value FROM global_variables WHERE variable_name='admin-version'");
  const raw = str(r[0]?.variable_value);
  const v = versionNumber(raw);
  if (!v) throw new Error(`admin-version is ${raw ? `"${raw}"` : 'missing'}, not a version`);
  return v;
}

export async function runtimeChecksums(conn: SqlQueryable): Promise<ChecksumRow[]> {
  return (await rows(conn, 'SELECT name, version, epoch, checksum FROM runtime_checksums_values ORDER BY name'))
    .map((r) => ({ name: str(r.name), version: int(r.version), epoch: int(r.epoch), checksum: str(r.checksum) }));
}

/**
 * Whether the members' runtime configs agree (empty: they do): for every module that two or more
 * members report, all checksums must be equal. A module only some members report (a newer ProxySQL
 * mid-upgrade has more) is compared among those; a member with no checksums at all is a problem.
 */
export function checksumProblems(byMember: Record<string, ChecksumRow[]>): string[] {
  const problems: string[] = [];
  const members = Object.keys(byMember).sort();
  for (const m of members) if ((byMember[m] ?? []).length === 0) problems.push(`member ${m} reports no checksums`);
  const modules = [...new Set(members.flatMap((m) => (byMember[m] ?? []).map((r) => r.name)))].sort();
  for (const mod of modules) {
    const seen = members.flatMap((m) => {
      const r = (byMember[m] ?? []).find((x) => x.name === mod);
      return r ? [{ member: m, ...r }] : [];
    });
    if (seen.length < 2 || new Set(seen.map((s) => s.checksum)).size === 1) continue;
    problems.push(`${mod} differs across members: ${seen.map((s) => `${s.member} ${s.checksum || '(none)'} (version ${s.version}, epoch ${s.epoch})`).join(', ')}`);
  }
  return problems;
}

/**
 * Reads runtime_checksums_values on every member (name → admin connection) and says what does not
 * agree; a member that cannot be asked is a problem too.
 */
export async function checksumsAgree(members: Record<string, SqlQueryable>): Promise<string[]> {
  const byMember: Record<string, ChecksumRow[]> = {};
  const problems: string[] = [];
  await Promise.all(Object.entries(members).map(async ([name, conn]) => {
    try {
      byMember[name] = await runtimeChecksums(conn);
    } catch (e) {
      problems.push(`cannot read the checksums of member ${name}: ${errorText(e)}`);
    }
  }));
  return [...problems.sort(), ...checksumProblems(byMember)];
}

/** What this member last saw of every member's checksums (ProxySQL Cluster's own view). */
export async function peerChecksums(conn: SqlQueryable): Promise<PeerChecksumRow[]> {
  return (await rows(conn, 'SELECT hostname, port, name, version, epoch, checksum, changed_at, updated_at, diff_check FROM stats_proxysql_servers_checksums'))
    .map((r) => ({
      hostname: str(r.hostname), port: int(r.port), name: str(r.name), version: int(r.version), epoch: int(r.epoch), checksum: str(r.checksum),
      changedAt: int(r.changed_at), updatedAt: int(r.updated_at), diffCheck: int(r.diff_check),
    }));
}

/**
 * Problems in one member's cluster view (stats_proxysql_servers_checksums): a module whose peers'
 * checksums differ, a peer not heard from for more than maxAgeSec (its checksums are stale), an
 * expected member missing from the view.
 */
export function peerViewProblems(view: PeerChecksumRow[], opts: { nowSec: number; maxAgeSec?: number; expectedMembers?: string[] }): string[] {
  const problems: string[] = [];
  const maxAge = opts.maxAgeSec ?? 10;
  const hosts = [...new Set(view.map((r) => r.hostname))].sort();
  for (const e of opts.expectedMembers ?? []) {
    if (!hosts.some((h) => h === e || h.split('.')[0] === e.split('.')[0])) problems.push(`member ${e} is not in the cluster view (proxysql_servers)`);
  }
  for (const h of hosts) {
    const last = Math.max(...view.filter((r) => r.hostname === h).map((r) => r.updatedAt));
    if (opts.nowSec - last > maxAge) problems.push(`member ${h} was last heard from ${opts.nowSec - last}s ago`);
  }
  const byMember: Record<string, ChecksumRow[]> = {};
  for (const r of view) (byMember[`${r.hostname}:${r.port}`] ??= []).push(r);
  return [...problems, ...checksumProblems(byMember)];
}
