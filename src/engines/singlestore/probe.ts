// SingleStore health and sync probes. The queries are SingleStore's own (`SELECT @@memsql_version`,
// `SHOW LEAVES`, `SHOW AGGREGATORS`, with their real column names), so they run against a real
// cluster and against opsflow's simulated one (devenv/runtime/mysql-sim) alike; the verdict
// (singlestoreProblems) is pure. A query that fails throws: a check that cannot run fails the step.

/** What the probes need of a connection; mysql2/promise's Connection, PoolConnection and Pool fit. */
export interface SqlQueryable {
  query(sql: string): Promise<[unknown, unknown]>;
}

export interface SingleStoreLeaf {
  host: string;
  port: number;
  /** 'online', 'offline', 'attaching', 'detached', 'recovering', … as SHOW LEAVES says. */
  state: string;
  availabilityGroup: number | null;
  nodeId: number | null;
}

export interface SingleStoreAggregator {
  host: string;
  port: number;
  state: string;
  master: boolean;
  nodeId: number | null;
}

export interface SingleStoreFacts {
  /** @@memsql_version of the node asked (the master aggregator, normally). */
  version: string;
  leaves: SingleStoreLeaf[];
  aggregators: SingleStoreAggregator[];
}

export interface SingleStoreHealth extends SingleStoreFacts {
  problems: string[];
}

async function rows(conn: SqlQueryable, sql: string): Promise<Array<Record<string, unknown>>> {
  const [result] = await conn.query(sql);
  if (!Array.isArray(result)) throw new Error(`${sql} returned no result set`);
  return result as Array<Record<string, unknown>>;
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));

/** The node's SingleStore version (`SELECT @@memsql_version`), e.g. "8.7.10". */
export async function memsqlVersion(conn: SqlQueryable): Promise<string> {
  const r = await rows(conn, 'SELECT @@memsql_version AS version');
  const v = str(r[0]?.version);
  if (!v) throw new Error('SELECT @@memsql_version returned nothing');
  return v;
}

/** Version, SHOW LEAVES and SHOW AGGREGATORS, as seen by the aggregator `conn` talks to. */
export async function singlestoreFacts(conn: SqlQueryable): Promise<SingleStoreFacts> {
  const version = await memsqlVersion(conn);
  const leaves = (await rows(conn, 'SHOW LEAVES')).map((r) => ({
    host: str(r.Host), port: num(r.Port) ?? 3306, state: str(r.State).toLowerCase(),
    availabilityGroup: num(r.Availability_Group), nodeId: num(r.NodeId),
  }));
  const aggregators = (await rows(conn, 'SHOW AGGREGATORS')).map((r) => ({
    host: str(r.Host), port: num(r.Port) ?? 3306, state: str(r.State).toLowerCase(),
    master: num(r.Master_Aggregator) === 1, nodeId: num(r.NodeId),
  }));
  return { version, leaves, aggregators };
}

const isIp = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h);

/**
 * Whether a member's host names the expected member: the same string, or the same first DNS label
 * (`sdb-leaf-0` names `sdb-leaf-0.sdb-pods.demo.svc`). IP addresses only match exactly.
 */
export function sameMember(host: string, expected: string): boolean {
  if (host === expected) return true;
  if (isIp(host) || isIp(expected)) return false;
  return host.split('.')[0] === expected.split('.')[0];
}

export interface SingleStoreExpectations {
  /** Aggregators that must be in the cluster and online (pod names, DNS names or IPs). */
  expectedAggregators?: string[];
  /** The version the node asked must report. */
  expectedVersion?: string;
}

/**
 * What is wrong with the cluster (empty: healthy): an expected leaf missing from SHOW LEAVES, any
 * listed leaf not online, no master aggregator, an aggregator not online, an expected aggregator
 * missing, the version not the expected one.
 */
export function singlestoreProblems(f: SingleStoreFacts, expectedLeaves: string[], opts: SingleStoreExpectations = {}): string[] {
  const problems: string[] = [];
  const listed = (list: Array<{ host: string; port: number }>) => (list.length ? list.map((m) => `${m.host}:${m.port}`).join(', ') : 'none');
  for (const e of expectedLeaves) {
    if (!f.leaves.some((l) => sameMember(l.host, e))) problems.push(`leaf ${e} is not in the cluster (SHOW LEAVES lists ${listed(f.leaves)})`);
  }
  for (const l of f.leaves) {
    if (l.state !== 'online') problems.push(`leaf ${l.host}:${l.port} is ${l.state || 'in an unknown state'}, not online`);
  }
  if (!f.aggregators.some((a) => a.master)) problems.push('SHOW AGGREGATORS lists no master aggregator');
  for (const a of f.aggregators) {
    if (a.state !== 'online') problems.push(`${a.master ? 'master ' : ''}aggregator ${a.host}:${a.port} is ${a.state || 'in an unknown state'}, not online`);
  }
  for (const e of opts.expectedAggregators ?? []) {
    if (!f.aggregators.some((a) => sameMember(a.host, e))) problems.push(`aggregator ${e} is not in the cluster (SHOW AGGREGATORS lists ${listed(f.aggregators)})`);
  }
  if (opts.expectedVersion && f.version !== opts.expectedVersion) problems.push(`the node reports version ${f.version}, expected ${opts.expectedVersion}`);
  return problems;
}

/** The cluster as the aggregator `conn` talks to sees it, with its problems (see singlestoreProblems). */
export async function clusterHealth(conn: SqlQueryable, expectedLeaves: string[] = [], opts: SingleStoreExpectations = {}): Promise<SingleStoreHealth> {
  const facts = await singlestoreFacts(conn);
  return { ...facts, problems: singlestoreProblems(facts, expectedLeaves, opts) };
}
