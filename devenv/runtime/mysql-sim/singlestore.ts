// SIMULATED SingleStore node, dev/test infrastructure only: NOT SingleStore. It speaks the MySQL
// protocol on <SIM_HOST>:3306 and answers the status statements opsflow's SingleStore engine sends,
// reporting the version of its image (`SELECT @@memsql_version`) and `version_comment` = "opsflow
// simulated SingleStore". There is no storage engine, no query execution, no partitions.
//
// Cluster: the master aggregator keeps the cluster's member list (persisted). Leaves and child
// aggregators register themselves with the real statements `ADD LEAF user:'password'@'host':3306` /
// `ADD AGGREGATOR …`, sent over the protocol to the master (at MASTER_HOSTADDR, or the peers file's
// entry for MASTER_HOST), again whenever their connection to the master is re-established. The master
// heartbeats every member once a second (a TCP connect that must get a MySQL handshake greeting) and
// reports a member `offline` once no heartbeat succeeded for SIM_OFFLINE_AFTER_MS (default 3000).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:net';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { Logger } from '../../../src/logger.ts';
import { ConfigError, errorText, firstLabel, fromPodIp, intEnv, JsonFile, Peers, sleep, type SimEnv } from './common.ts';
import { greets, ok, resultSet, SqlError, startMysqlServer, stopMysqlServer, type Cell, type Column, type Reply, type Session } from './protocol.ts';
import { parse, sqlString, statementHead, unsupported, type Stmt } from './sql.ts';
import { like, runSelect } from './tables.ts';

export const SDB_PORT = 3306;
/** What `SELECT @@version` answers: SingleStore reports a MySQL 5.7 compatible version there. */
const MYSQL_COMPAT_VERSION = '5.7.32';

interface VariableDef {
  default: string;
  int?: boolean;
  readOnly?: boolean;
}

/** The variables this simulation knows (a small subset of SingleStore's); `SET GLOBAL` on the writable ones persists. */
const VARIABLES: Record<string, VariableDef> = {
  max_connections: { default: '100000', int: true },
  max_pooled_connections: { default: '1024', int: true },
  default_partitions_per_leaf: { default: '8', int: true },
  redundancy_level: { default: '1', int: true },
  snapshot_trigger_size: { default: '2147483648', int: true },
  maximum_memory: { default: '4096', int: true },
  maximum_table_memory: { default: '3686', int: true },
  sync_permissions: { default: 'OFF' },
  wait_timeout: { default: '28800', int: true },
  interactive_timeout: { default: '28800', int: true },
  sql_mode: { default: 'STRICT_ALL_TABLES' },
};

export interface NodeRecord {
  host: string;
  port: number;
  /** The IP the master heartbeats (the peers file's entry for host, else where the node registered from). */
  address: string;
  nodeId: number;
  group: number;
}

interface SdbState {
  variables: Record<string, string>;
  leaves: NodeRecord[];
  aggregators: NodeRecord[];
  nextNodeId: number;
}

type Role = 'master' | 'child' | 'leaf';

const LEAF_COLUMNS: Column[] = [
  { name: 'Host' }, { name: 'Port', type: 'int' }, { name: 'Availability_Group', type: 'int' }, { name: 'Pair_Host' },
  { name: 'Pair_Port', type: 'int' }, { name: 'State' }, { name: 'Opened_Connections', type: 'int' },
  { name: 'Average_Roundtrip_Latency_ms' }, { name: 'NodeId', type: 'int' },
];
const AGGREGATOR_COLUMNS: Column[] = [
  { name: 'Host' }, { name: 'Port', type: 'int' }, { name: 'State' }, { name: 'Opened_Connections', type: 'int' },
  { name: 'Average_Roundtrip_Latency_ms' }, { name: 'Master_Aggregator', type: 'int' }, { name: 'NodeId', type: 'int' },
];

/** Reads `name = value` lines of *.cnf files (MySQL option-file syntax; sections ignored). */
export function readConfigDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cnf')).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const path = join(dir, f);
    if (!statSync(path).isFile()) continue;
    for (const raw of readFileSync(path, 'utf8').split('\n')) {
      const line = raw.replace(/[#;].*$/, '').trim();
      const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
      if (m?.[1]) out[m[1].replace(/-/g, '_').toLowerCase()] = (m[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return out;
}

export class SingleStoreSim {
  readonly role: Role;
  private readonly user: string;
  private readonly password: string;
  private readonly masterHost: string;
  private readonly advertiseHost: string;
  private readonly state: SdbState;
  private readonly file: JsonFile<SdbState>;
  private readonly peers: Peers;
  private readonly heartbeatMs: number;
  private readonly offlineAfterMs: number;
  /** Master: last successful heartbeat per member (host:port), and its round trip. */
  private readonly live = new Map<string, { at: number; ms: number }>();
  private readonly startedAt = Date.now();
  private server?: Server;
  private stopped = false;
  private masterConn?: { conn: mysql.Connection; address: string };
  private lastMemberError = '';

  constructor(private readonly e: SimEnv, private readonly log: Logger) {
    const env = e.env;
    const nodeRole = env.NODE_ROLE ?? 'aggregator';
    if (nodeRole !== 'aggregator' && nodeRole !== 'leaf') throw new ConfigError(`NODE_ROLE must be aggregator or leaf, not ${nodeRole}`);
    this.user = env.ROOT_USER || 'root';
    if (env.ROOT_PASSWORD === undefined) throw new ConfigError('ROOT_PASSWORD must be set');
    this.password = env.ROOT_PASSWORD;
    this.masterHost = env.MASTER_HOST ?? '';
    const isMaster = nodeRole === 'aggregator' && (env.SIM_MASTER === '1' || !this.masterHost
      || firstLabel(this.masterHost) === e.podName || (!!env.MASTER_HOSTADDR && env.MASTER_HOSTADDR === e.host));
    this.role = isMaster ? 'master' : nodeRole === 'leaf' ? 'leaf' : 'child';
    // A member registers under its own DNS name when the master has one (<pod>.<svc>.<ns>.svc), like KubeDB does.
    const dot = this.masterHost.indexOf('.');
    this.advertiseHost = env.SIM_ADVERTISE_HOST || (dot > 0 && !isIPv4(this.masterHost) ? `${e.podName}${this.masterHost.slice(dot)}` : e.host);
    this.heartbeatMs = intEnv(env, 'SIM_HEARTBEAT_MS', 1000);
    this.offlineAfterMs = intEnv(env, 'SIM_OFFLINE_AFTER_MS', 3000);
    this.peers = new Peers(e.peersFile, env.SIM_PEERS, log);
    this.file = new JsonFile<SdbState>(join(e.stateDir, 'singlestore-sim.json'));
    const saved = this.file.read();
    this.state = { variables: {}, leaves: [], aggregators: [], nextNodeId: 2, ...saved };
    // Precedence: defaults < persisted SET GLOBAL < config files (SIM_CONFIG_DIR, read at every start).
    if (env.SIM_CONFIG_DIR) {
      for (const [k, v] of Object.entries(readConfigDir(env.SIM_CONFIG_DIR))) {
        const def = VARIABLES[k];
        if (!def) { this.log.warn('config file sets a variable this simulation does not know; ignored', { variable: k }); continue; }
        if (def.int && !/^-?\d+$/.test(v)) { this.log.warn('config file value is not an integer; ignored', { variable: k, value: v }); continue; }
        this.state.variables[k] = v;
      }
    }
    this.save();
  }

  private save(): void {
    this.file.write(this.state);
  }

  variable(name: string): string | undefined {
    switch (name) {
      case 'memsql_version': return this.e.version;
      case 'version': return MYSQL_COMPAT_VERSION;
      case 'version_comment': return 'opsflow simulated SingleStore';
      case 'hostname': return this.e.podName;
      case 'port': return String(SDB_PORT);
      case 'node_type': return this.role === 'leaf' ? 'LEAF' : this.role === 'master' ? 'MA' : 'CA';
    }
    const def = VARIABLES[name];
    return def ? (this.state.variables[name] ?? def.default) : undefined;
  }

  private variableCell(name: string): Cell | undefined {
    const v = this.variable(name);
    if (v === undefined) return undefined;
    return (VARIABLES[name]?.int || name === 'port') && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }

  async start(): Promise<void> {
    this.server = await startMysqlServer({
      host: this.e.host,
      port: SDB_PORT,
      serverVersion: `${MYSQL_COMPAT_VERSION}-opsflow-simulated-singlestore-${this.e.version}`,
      credential: (u) => (u === this.user ? { password: this.password } : undefined),
      query: (sql, s) => this.query(sql, s),
      onError: (m) => this.log.warn(m),
    });
    this.log.info('SIMULATED SingleStore listening', { address: `${this.e.host}:${SDB_PORT}`, version: this.e.version, role: this.role, advertise: this.advertiseHost });
    if (this.role === 'master') void this.heartbeatLoop();
    else void this.memberLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.masterConn?.conn.destroy();
    if (this.server) await stopMysqlServer(this.server);
  }

  // ---- queries ----

  async query(sql: string, session: Session): Promise<Reply> {
    const st = parse(sql);
    switch (st.k) {
      case 'select':
        if (st.from) throw new SqlError(1146, `Table '${st.from}' doesn't exist (opsflow SIMULATED SingleStore has no tables)`, '42S02');
        return runSelect(st, {
          variable: (n) => this.variableCell(n),
          fn: (n) => ({ VERSION: MYSQL_COMPAT_VERSION, DATABASE: null, USER: `${session.user}@${session.remoteAddress}`, CURRENT_USER: `${session.user}@%`, CONNECTION_ID: session.id } as Record<string, Cell>)[n],
        }, () => undefined);
      case 'show-variables': {
        const names = ['memsql_version', 'version', 'version_comment', 'hostname', 'port', 'node_type', ...Object.keys(VARIABLES)].sort();
        const rows = names.filter((n) => st.like === undefined || like(n, st.like)).map((n) => [n, this.variable(n) ?? null]);
        return resultSet([{ name: 'Variable_name' }, { name: 'Value' }], rows);
      }
      case 'set':
        for (const it of st.items) this.setVariable(it.name, it.scope, it.value);
        return ok(0);
      case 'set-names':
        return ok(0);
      case 'show':
        if (st.what === 'LEAVES' || st.what === 'AGGREGATORS') return this.showMembers(st.what, sql);
        throw unsupported(sql, 'opsflow simulated SingleStore');
      case 'add-node':
      case 'remove-node':
        if (this.role !== 'master') throw new SqlError(1706, `Feature '${statementHead(sql)}' is only supported on the master aggregator (opsflow simulated SingleStore ${this.role})`);
        return st.k === 'add-node' ? this.addNode(st, session) : this.removeNode(st);
      default:
        throw unsupported(sql, 'opsflow simulated SingleStore');
    }
  }

  private setVariable(name: string, scope: 'global' | 'session', value: Cell): void {
    const known = ['memsql_version', 'version', 'version_comment', 'hostname', 'port', 'node_type'].includes(name);
    const def = VARIABLES[name];
    if (!def && !known) throw new SqlError(1193, `Unknown system variable '${name}'`);
    if (!def || def.readOnly) throw new SqlError(1238, `Variable '${name}' is a read only variable`);
    if (scope !== 'global') throw new SqlError(1229, `Variable '${name}' is a GLOBAL variable and should be set with SET GLOBAL (opsflow simulated SingleStore)`);
    const v = value === null ? def.default : String(value);
    if (def.int && !/^-?\d+$/.test(v)) throw new SqlError(1232, `Incorrect argument type to variable '${name}'`, '42000');
    this.state.variables[name] = v;
    this.save();
    this.log.info('SET GLOBAL', { variable: name, value: v });
  }

  private async showMembers(what: 'LEAVES' | 'AGGREGATORS', sql: string): Promise<Reply> {
    if (this.role === 'leaf') throw new SqlError(1706, `Feature 'SHOW ${what}' is not supported on a leaf (opsflow simulated SingleStore)`);
    if (this.role === 'child') {
      // A child aggregator answers from the master's metadata (here: by asking the master).
      const m = this.masterConn;
      if (!m) throw new SqlError(2013, 'Lost connection to the master aggregator (opsflow simulated SingleStore child aggregator)');
      const [rows, fields] = await m.conn.query({ sql, rowsAsArray: true, timeout: 5000 });
      const cols: Column[] = fields.map((f) => ({ name: f.name, type: f.columnType === 8 ? 'int' : 'str' }));
      return resultSet(cols, (rows as unknown[][]).map((r) => r.map((v) => (v === null || typeof v === 'number' ? v : String(v)))));
    }
    const now = Date.now();
    const member = (n: NodeRecord) => {
      const l = this.live.get(`${n.host}:${n.port}`);
      const online = !!l && now - l.at <= this.offlineAfterMs;
      return { online, latency: online && l ? l.ms.toFixed(3) : null };
    };
    if (what === 'LEAVES') {
      return resultSet(LEAF_COLUMNS, this.state.leaves.map((n) => {
        const m = member(n);
        return [n.host, n.port, n.group, null, null, m.online ? 'online' : 'offline', m.online ? 1 : 0, m.latency, n.nodeId];
      }));
    }
    const self = this.masterHost && !isIPv4(this.masterHost) ? this.masterHost : this.e.host;
    return resultSet(AGGREGATOR_COLUMNS, [
      [self, SDB_PORT, 'online', 0, null, 1, 1],
      ...this.state.aggregators.map((n) => {
        const m = member(n);
        return [n.host, n.port, m.online ? 'online' : 'offline', m.online ? 1 : 0, m.latency, 0, n.nodeId];
      }),
    ]);
  }

  private addNode(st: Extract<Stmt, { k: 'add-node' }>, session: Session): Reply {
    if (st.user !== this.user || st.password !== this.password) {
      throw new SqlError(1045, `Access denied for user '${st.user}' to the node ${st.host}:${st.port} (ADD ${st.role.toUpperCase()} credentials)`, '28000');
    }
    const list = st.role === 'leaf' ? this.state.leaves : this.state.aggregators;
    const other = st.role === 'leaf' ? this.state.aggregators : this.state.leaves;
    if (other.some((n) => n.host === st.host && n.port === st.port)) {
      throw new SqlError(1706, `${st.host}:${st.port} is already in the cluster as ${st.role === 'leaf' ? 'an aggregator' : 'a leaf'}`);
    }
    const address = this.peers.resolve(st.host) ?? session.remoteAddress;
    const existing = list.find((n) => n.host === st.host && n.port === st.port);
    // Deviation from SingleStore (which errors on a duplicate): re-adding a member is idempotent and
    // updates its address, so a member that restarted (maybe on another IP) just registers again.
    if (existing) {
      if (existing.address !== address) this.log.info('member address changed', { host: st.host, from: existing.address, to: address });
      existing.address = address;
      if (st.group !== undefined) existing.group = st.group;
    } else {
      list.push({ host: st.host, port: st.port, address, nodeId: this.state.nextNodeId++, group: st.group ?? 1 });
      this.log.info(`${st.role} added`, { host: st.host, port: st.port, address });
    }
    this.live.set(`${st.host}:${st.port}`, { at: Date.now(), ms: 0 });
    this.save();
    return ok(existing ? 0 : 1);
  }

  private removeNode(st: Extract<Stmt, { k: 'remove-node' }>): Reply {
    const key = st.role === 'leaf' ? 'leaves' : 'aggregators';
    const before = this.state[key].length;
    this.state[key] = this.state[key].filter((n) => !(n.host === st.host && n.port === st.port));
    if (this.state[key].length === before) throw new SqlError(1706, `${st.host}:${st.port} is not a ${st.role} of this cluster`);
    this.live.delete(`${st.host}:${st.port}`);
    this.save();
    this.log.info(`${st.role} removed`, { host: st.host, port: st.port });
    return ok(1);
  }

  // ---- cluster ----

  /** Master: heartbeat every member once per SIM_HEARTBEAT_MS. */
  private async heartbeatLoop(): Promise<void> {
    while (!this.stopped) {
      const round = sleep(this.heartbeatMs);
      this.peers.refresh();
      let changed = false;
      await Promise.all([...this.state.leaves, ...this.state.aggregators].map(async (n) => {
        const resolved = this.peers.resolve(n.host);
        if (resolved && resolved !== n.address) {
          this.log.info('member address changed (peers)', { host: n.host, from: n.address, to: resolved });
          n.address = resolved;
          changed = true;
        }
        const ms = await greets(n.address, n.port, Math.min(1000, this.heartbeatMs), this.e.host);
        if (ms !== undefined) this.live.set(`${n.host}:${n.port}`, { at: Date.now(), ms });
      }));
      if (changed) this.save();
      await round;
    }
  }

  private masterAddress(): string | undefined {
    this.peers.refresh();
    return (this.masterHost ? this.peers.resolve(this.masterHost) : undefined) || this.e.env.MASTER_HOSTADDR || undefined;
  }

  /** Leaf / child aggregator: stay registered with the master, re-registering on every new connection. */
  private async memberLoop(): Promise<void> {
    const role = this.role === 'leaf' ? 'LEAF' : 'AGGREGATOR';
    while (!this.stopped) {
      try {
        const address = this.masterAddress();
        if (!address) throw new Error(`the master's address is unknown: set MASTER_HOSTADDR or list ${this.masterHost || 'the master'} in the peers`);
        if (this.masterConn && this.masterConn.address !== address) {
          this.masterConn.conn.destroy();
          this.masterConn = undefined;
        }
        if (!this.masterConn) {
          const conn = await mysql.createConnection({
            host: address, port: SDB_PORT, user: this.user, password: this.password, connectTimeout: 2000, stream: fromPodIp(address, SDB_PORT, this.e.host),
          });
          conn.on('error', () => {
            if (this.masterConn?.conn === conn) this.masterConn = undefined;
          });
          await conn.query({ sql: `ADD ${role} ${sqlString(this.user)}:${sqlString(this.password)}@${sqlString(this.advertiseHost)}:${SDB_PORT}`, timeout: 5000 });
          this.masterConn = { conn, address };
          this.log.info(`registered with the master aggregator (ADD ${role})`, { master: `${this.masterHost || address} (${address})`, as: this.advertiseHost });
          this.lastMemberError = '';
        } else {
          await this.masterConn.conn.query({ sql: 'SELECT 1', timeout: 3000 });
        }
      } catch (e) {
        this.masterConn?.conn.destroy();
        this.masterConn = undefined;
        const msg = errorText(e);
        if (msg !== this.lastMemberError && Date.now() - this.startedAt > 2000) {
          this.log.warn('cannot reach the master aggregator; retrying', { error: msg });
          this.lastMemberError = msg;
        }
      }
      await sleep(this.heartbeatMs);
    }
  }
}
