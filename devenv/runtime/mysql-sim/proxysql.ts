// SIMULATED ProxySQL member, dev/test infrastructure only: NOT ProxySQL, it proxies nothing. It
// answers, over the MySQL protocol,
//   - on <SIM_HOST>:6032 (admin interface, ADMIN_USER/ADMIN_PASSWORD): `SELECT @@version` (the image's
//     version), the config tables mysql_users, mysql_query_rules, mysql_servers, proxysql_servers and
//     global_variables in their three layers (memory: `t` / `main.t`, runtime: `runtime_t`, disk:
//     `disk.t`) with INSERT [OR REPLACE|OR IGNORE] / REPLACE / UPDATE / DELETE on the memory layer,
//     `LOAD <module> TO RUNTIME|FROM DISK`, `SAVE <module> TO DISK|FROM RUNTIME` for the modules
//     MYSQL USERS, MYSQL QUERY RULES, MYSQL SERVERS, PROXYSQL SERVERS, ADMIN VARIABLES, MYSQL VARIABLES,
//     `runtime_checksums_values` and `stats_proxysql_servers_checksums`;
//   - on <SIM_HOST>:6033 (the proxy port): logins of the runtime mysql_users (active, frontend) and
//     only `SELECT 1` / `SELECT @@version` / `SELECT @@version_comment`.
//
// Cluster (like ProxySQL Cluster): proxysql_servers holds every member (from the peers, see
// common.ts), each member polls every member's runtime_checksums_values each
// admin-cluster_check_interval_ms into stats_proxysql_servers_checksums, and when a peer's checksum of
// a module has differed for admin-cluster_<module>_diffs_before_sync checks, that peer's version is > 1
// and (this member just started, version 1, or the peer's epoch is newer), it pulls that module's
// runtime config from the peer with the newest epoch, loads it to runtime and (if
// admin-cluster_<module>_save_to_disk) saves it to disk. Deviation: proxysql_servers is never pulled;
// it follows the peers the runtime gives.
import type { Server } from 'node:net';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { Logger } from '../../../src/logger.ts';
import { ConfigError, errorText, firstLabel, fromPodIp, JsonFile, Peers, sleep, type SimEnv } from './common.ts';
import { ok, resultSet, SqlError, startMysqlServer, stopMysqlServer, type Cell, type Column, type Credential, type Reply, type Session } from './protocol.ts';
import { PROXYSQL_2_VARIABLES } from './proxysql-variables.ts';
import { parse, unsupported, type Stmt } from './sql.ts';
import { canonical, runDelete, runInsert, runSelect, runUpdate, sourceOf, type ColumnDef, type Row, type Source, type TableDef } from './tables.ts';

export const PROXYSQL_ADMIN_PORT = 6032;
export const PROXYSQL_MYSQL_PORT = 6033;

const s = (name: string, dflt?: Cell, notNull = false): ColumnDef => ({ name, type: 'str', ...(dflt !== undefined ? { default: dflt } : {}), notNull });
const i = (name: string, dflt?: Cell, notNull = false): ColumnDef => ({ name, type: 'int', ...(dflt !== undefined ? { default: dflt } : {}), notNull });

/** ProxySQL 2.x's config tables (column names, defaults and keys as in its admin schema). */
export const TABLES = {
  mysql_users: {
    name: 'mysql_users',
    columns: [s('username', undefined, true), s('password'), i('active', 1, true), i('use_ssl', 0, true), i('default_hostgroup', 0, true),
      s('default_schema'), i('schema_locked', 0, true), i('transaction_persistent', 1, true), i('fast_forward', 0, true), i('backend', 1, true),
      i('frontend', 1, true), i('max_connections', 10000, true), s('attributes', '', true), s('comment', '', true)],
    key: ['username', 'backend'],
    unique: [['username', 'frontend']],
  },
  mysql_query_rules: {
    name: 'mysql_query_rules',
    columns: [i('rule_id', undefined, true), i('active', 0, true), s('username'), s('schemaname'), i('flagIN', 0, true), s('client_addr'),
      s('proxy_addr'), i('proxy_port'), s('digest'), s('match_digest'), s('match_pattern'), i('negate_match_pattern', 0, true),
      s('re_modifiers', 'CASELESS'), i('flagOUT'), s('replace_pattern'), i('destination_hostgroup'), i('cache_ttl'), i('cache_empty_result'),
      i('cache_timeout'), i('reconnect'), i('timeout'), i('retries'), i('delay'), i('next_query_flagIN'), i('mirror_flagOUT'),
      i('mirror_hostgroup'), s('error_msg'), s('OK_msg'), i('sticky_conn'), i('multiplex'), i('gtid_from_hostgroup'), i('log'),
      i('apply', 0, true), s('attributes', '', true), s('comment')],
    key: ['rule_id'],
    autoIncrement: 'rule_id',
  },
  mysql_servers: {
    name: 'mysql_servers',
    columns: [i('hostgroup_id', 0, true), s('hostname', undefined, true), i('port', 3306, true), i('gtid_port', 0, true), s('status', 'ONLINE', true),
      i('weight', 1, true), i('compression', 0, true), i('max_connections', 1000, true), i('max_replication_lag', 0, true), i('use_ssl', 0, true),
      i('max_latency_ms', 0, true), s('comment', '', true)],
    key: ['hostgroup_id', 'hostname', 'port'],
  },
  proxysql_servers: {
    name: 'proxysql_servers',
    columns: [s('hostname', undefined, true), i('port', PROXYSQL_ADMIN_PORT, true), i('weight', 0, true), s('comment', '', true)],
    key: ['hostname', 'port'],
  },
  global_variables: {
    name: 'global_variables',
    columns: [s('variable_name', undefined, true), s('variable_value', undefined, true)],
    key: ['variable_name'],
  },
} satisfies Record<string, TableDef>;
type Table = keyof typeof TABLES;
const TABLE_NAMES = Object.keys(TABLES) as Table[];
type Layer = Record<Table, Row[]>;

export const MODULES = {
  admin_variables: { table: 'global_variables', prefix: 'admin-', words: 'ADMIN VARIABLES' },
  mysql_query_rules: { table: 'mysql_query_rules', words: 'MYSQL QUERY RULES' },
  mysql_servers: { table: 'mysql_servers', words: 'MYSQL SERVERS' },
  mysql_users: { table: 'mysql_users', words: 'MYSQL USERS' },
  mysql_variables: { table: 'global_variables', prefix: 'mysql-', words: 'MYSQL VARIABLES' },
  proxysql_servers: { table: 'proxysql_servers', words: 'PROXYSQL SERVERS' },
} satisfies Record<string, { table: Table; prefix?: string; words: string }>;
export type Module = keyof typeof MODULES;
const MODULE_NAMES = Object.keys(MODULES).sort() as Module[];
const moduleInfo = (m: Module): { table: Table; prefix?: string; words: string } => MODULES[m];

interface VariableDef {
  default: string;
  kind?: 'int' | 'bool';
  /** Excluded from the module checksum and from cluster sync (credentials, interfaces, the version). */
  local?: boolean;
  readOnly?: boolean;
}

// Not synced by ProxySQL Cluster and not in the module checksum: credentials, interfaces, ports, the version.
const LOCAL_VARIABLES = new Set([
  'admin-version', 'admin-admin_credentials', 'admin-stats_credentials', 'admin-cluster_username', 'admin-cluster_password',
  'admin-mysql_ifaces', 'admin-telnet_admin_ifaces', 'admin-telnet_stats_ifaces', 'admin-restapi_port', 'admin-web_port',
  'mysql-interfaces', 'mysql-threads', 'mysql-stacksize',
]);

/** ProxySQL 2.x's full variable list (proxysql-variables.ts), with this member's own values. */
function variableDefs(version: string, adminUser: string): Record<string, VariableDef> {
  const defs: Record<string, VariableDef> = {};
  for (const [name, [kind, def]] of Object.entries(PROXYSQL_2_VARIABLES)) {
    defs[name] = { default: def, ...(kind === 'string' ? {} : { kind }), ...(LOCAL_VARIABLES.has(name) ? { local: true } : {}) };
  }
  defs['admin-version'] = { default: version, local: true, readOnly: true };
  defs['admin-cluster_username'] = { default: adminUser, local: true };
  defs['admin-mysql_ifaces'] = { default: `0.0.0.0:${PROXYSQL_ADMIN_PORT}`, local: true };
  defs['mysql-interfaces'] = { default: `0.0.0.0:${PROXYSQL_MYSQL_PORT}`, local: true };
  return defs;
}

interface Checksum { version: number; epoch: number; checksum: string }
interface PeerChecksum extends Checksum { hostname: string; port: number; name: string; changed_at: number; updated_at: number; diff_check: number }

interface ProxyState { disk: Partial<Layer> }

const clone = (rows: Row[]): Row[] => rows.map((r) => ({ ...r }));
const nowSec = () => Math.floor(Date.now() / 1000);
const emptyLayer = (): Layer => ({ mysql_users: [], mysql_query_rules: [], mysql_servers: [], proxysql_servers: [], global_variables: [] });
const CHECKSUM_COLUMNS: Column[] = [{ name: 'name' }, { name: 'version', type: 'int' }, { name: 'epoch', type: 'int' }, { name: 'checksum' }];
const PEER_COLUMNS: Column[] = [{ name: 'hostname' }, { name: 'port', type: 'int' }, { name: 'name' }, { name: 'version', type: 'int' },
  { name: 'epoch', type: 'int' }, { name: 'checksum' }, { name: 'changed_at', type: 'int' }, { name: 'updated_at', type: 'int' }, { name: 'diff_check', type: 'int' }];

export class ProxySQLSim {
  private readonly adminUser: string;
  private readonly adminPassword: string;
  private readonly vars: Record<string, VariableDef>;
  private readonly file: JsonFile<ProxyState>;
  private readonly peers: Peers;
  private readonly memory: Layer;
  private readonly runtime: Layer = emptyLayer();
  private readonly disk: Layer;
  private readonly checks = {} as Record<Module, Checksum>;
  private readonly peerChecks = new Map<string, PeerChecksum>();
  private readonly conns = new Map<string, { address: string; conn: Promise<mysql.Connection> }>();
  private readonly peerErrors = new Map<string, string>();
  private selfName: string;
  private servers: Server[] = [];
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(private readonly e: SimEnv, private readonly log: Logger) {
    this.adminUser = e.env.ADMIN_USER || 'admin';
    if (e.env.ADMIN_PASSWORD === undefined) throw new ConfigError('ADMIN_PASSWORD must be set');
    this.adminPassword = e.env.ADMIN_PASSWORD;
    this.vars = variableDefs(e.version, this.adminUser);
    this.peers = new Peers(e.peersFile, e.env.SIM_PEERS, log);
    this.file = new JsonFile<ProxyState>(join(e.stateDir, 'proxysql-sim.json'));
    this.disk = { ...emptyLayer(), ...(this.file.read()?.disk ?? {}), proxysql_servers: [] };
    this.memory = emptyLayer();
    for (const t of TABLE_NAMES) this.memory[t] = clone(this.disk[t]);
    // Memory variables: defaults, then what was saved to disk.
    const saved = new Map(this.disk.global_variables.map((r) => [String(r.variable_name), r.variable_value]));
    this.memory.global_variables = Object.entries(this.vars).map(([n, d]) => ({ variable_name: n, variable_value: d.readOnly ? d.default : (saved.get(n) ?? d.default) }));
    this.selfName = e.podName;
    this.memory.proxysql_servers = this.serverRows();
    const epoch = nowSec();
    for (const m of MODULE_NAMES) {
      this.loadToRuntime(m, false);
      this.checks[m] = { version: 1, epoch, checksum: this.checksum(m) };
    }
  }

  // ---- layers ----

  private moduleRows(layer: Layer, m: Module): Row[] {
    const { table, prefix } = moduleInfo(m);
    return prefix ? layer.global_variables.filter((r) => String(r.variable_name).startsWith(prefix)) : layer[table];
  }
  private setModuleRows(layer: Layer, m: Module, rows: Row[]): void {
    const { table, prefix } = moduleInfo(m);
    if (prefix) layer.global_variables = [...layer.global_variables.filter((r) => !String(r.variable_name).startsWith(prefix)), ...clone(rows)];
    else layer[table] = clone(rows);
  }
  private varValue(name: string): string {
    const r = this.runtime.global_variables.find((x) => x.variable_name === name);
    return String(r?.variable_value ?? this.vars[name]?.default ?? '');
  }

  /** memory → runtime (bumping the module's version and epoch when `bump`). */
  private loadToRuntime(m: Module, bump = true): void {
    const { prefix } = moduleInfo(m);
    if (prefix) {
      const wanted = new Map(this.moduleRows(this.memory, m).map((r) => [String(r.variable_name), r.variable_value]));
      const rows: Row[] = [];
      for (const [name, def] of Object.entries(this.vars)) {
        if (!name.startsWith(prefix)) continue;
        const current = this.runtime.global_variables.find((x) => x.variable_name === name)?.variable_value ?? def.default;
        let v = def.readOnly ? def.default : String(wanted.get(name) ?? current);
        if ((def.kind === 'int' && !/^-?\d+$/.test(v)) || (def.kind === 'bool' && !/^(true|false)$/i.test(v))) {
          this.log.warn('invalid variable value ignored; keeping the runtime value', { variable: name, value: v });
          v = String(current);
        }
        rows.push({ variable_name: name, variable_value: def.kind === 'bool' ? v.toLowerCase() : v });
      }
      for (const n of wanted.keys()) if (!this.vars[n]) this.log.warn('unknown variable ignored', { variable: n });
      this.setModuleRows(this.runtime, m, rows);
      this.setModuleRows(this.memory, m, rows); // like ProxySQL: memory is rewritten from runtime after a load
    } else {
      this.setModuleRows(this.runtime, m, this.moduleRows(this.memory, m));
    }
    if (bump) {
      const c = this.checks[m];
      c.version++;
      c.epoch = nowSec();
      const before = c.checksum;
      c.checksum = this.checksum(m);
      this.log.info(`LOAD ${moduleInfo(m).words} TO RUNTIME`, { module: m, version: c.version, checksum: c.checksum, changed: before !== c.checksum });
    }
  }
  private saveToDisk(m: Module): void {
    this.setModuleRows(this.disk, m, this.moduleRows(this.memory, m));
    const disk: Partial<Layer> = { ...this.disk };
    delete disk.proxysql_servers; // follows the peers, never persisted
    this.file.write({ disk });
  }

  /** ProxySQL-style checksum: 0x + 16 hex digits over the module's runtime rows (0x0000000000000000 when empty). */
  private checksum(m: Module): string {
    const { table, prefix } = moduleInfo(m);
    let rows = this.moduleRows(this.runtime, m);
    if (prefix) rows = rows.filter((r) => !this.vars[String(r.variable_name)]?.local);
    if (rows.length === 0) return '0x0000000000000000';
    const h = createHash('sha256').update(JSON.stringify(canonical(TABLES[table], rows))).digest('hex');
    return `0x${h.slice(0, 16).toUpperCase()}`;
  }

  /** proxysql_servers from the peers: every member (this one included) on the admin port. */
  private serverRows(): Row[] {
    const peers = this.peers.all();
    const names = Object.keys(peers);
    let self = names.find((n) => peers[n] === this.e.host) ?? names.find((n) => firstLabel(n) === this.e.podName);
    if (!self) {
      const withSuffix = names.find((n) => n.includes('.'));
      self = withSuffix ? `${this.e.podName}${withSuffix.slice(withSuffix.indexOf('.'))}` : this.e.podName;
      names.push(self);
    }
    this.selfName = self;
    return names.sort().map((hostname) => ({ hostname, port: PROXYSQL_ADMIN_PORT, weight: 0, comment: '' }));
  }

  private refreshPeers(): void {
    if (!this.peers.refresh()) return;
    const rows = this.serverRows();
    if (JSON.stringify(rows) === JSON.stringify(this.runtime.proxysql_servers)) return;
    this.memory.proxysql_servers = rows;
    this.loadToRuntime('proxysql_servers');
  }

  // ---- serving ----

  async start(): Promise<void> {
    this.servers.push(await startMysqlServer({
      host: this.e.host,
      port: PROXYSQL_ADMIN_PORT,
      serverVersion: `${this.e.version}-opsflow-simulated-proxysql-admin`,
      credential: (u) => (u === this.adminUser ? { password: this.adminPassword } : undefined),
      query: (sql) => this.adminQuery(sql),
      onError: (m) => this.log.warn(m),
    }));
    this.servers.push(await startMysqlServer({
      host: this.e.host,
      port: PROXYSQL_MYSQL_PORT,
      serverVersion: this.varValue('mysql-server_version'),
      credential: (u) => this.frontendCredential(u),
      query: (sql, session) => this.proxyQuery(sql, session),
      onError: (m) => this.log.warn(m),
    }));
    this.log.info('SIMULATED ProxySQL listening', { admin: `${this.e.host}:${PROXYSQL_ADMIN_PORT}`, mysql: `${this.e.host}:${PROXYSQL_MYSQL_PORT}`, version: this.e.version, self: this.selfName });
    void this.clusterLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.conns.values()) void c.conn.then((x) => x.destroy(), () => undefined);
    await Promise.all(this.servers.map((srv) => stopMysqlServer(srv)));
  }

  private frontendCredential(user: string): Credential | undefined {
    const row = this.runtime.mysql_users.find((r) => r.username === user && Number(r.active) === 1 && Number(r.frontend) === 1);
    if (!row) return undefined;
    const pw = String(row.password ?? '');
    return /^\*[0-9A-F]{40}$/i.test(pw) ? { doubleSha1: Buffer.from(pw.slice(1), 'hex') } : { password: pw };
  }

  private proxyQuery(sql: string, session: Session): Reply {
    const st = parse(sql);
    if (st.k === 'set-names') return ok(0);
    if (st.k !== 'select' || st.from) throw unsupported(sql, 'opsflow simulated ProxySQL (it has no backends)');
    return runSelect(st, {
      variable: (n) => ({ version: this.varValue('mysql-server_version'), version_comment: 'opsflow simulated ProxySQL' } as Record<string, Cell>)[n],
      fn: (n) => ({ VERSION: this.varValue('mysql-server_version'), DATABASE: null, USER: `${session.user}@${session.remoteAddress}` } as Record<string, Cell>)[n],
    }, () => undefined);
  }

  private source(name: string): Source | undefined {
    const bare = name.replace(/^main\./, '').replace(/^stats\./, '');
    if (bare === 'runtime_checksums_values') {
      return { columns: CHECKSUM_COLUMNS, rows: MODULE_NAMES.map((m) => ({ name: m, ...this.checks[m] })) };
    }
    if (bare === 'stats_proxysql_servers_checksums') {
      const rows = [...this.peerChecks.values()].sort((a, b) => (a.hostname + a.name < b.hostname + b.name ? -1 : 1));
      return { columns: PEER_COLUMNS, rows: rows.map((r) => ({ ...r })) };
    }
    const [layer, table] = bare.startsWith('disk.') ? [this.disk, bare.slice(5)] : bare.startsWith('runtime_') ? [this.runtime, bare.slice(8)] : [this.memory, bare];
    if (!(TABLE_NAMES as string[]).includes(table)) return undefined;
    return sourceOf(TABLES[table as Table], layer[table as Table]);
  }

  private writable(name: string): Table {
    const bare = name.replace(/^main\./, '');
    if ((TABLE_NAMES as string[]).includes(bare)) return bare as Table;
    if (this.source(name)) throw new SqlError(1036, `Table '${name}' is read only (opsflow simulated ProxySQL: write the memory table, then LOAD … TO RUNTIME)`, 'HY000');
    throw new SqlError(1146, `Table 'main.${bare}' doesn't exist`, '42S02');
  }

  private adminQuery(sql: string): Reply {
    const st = parse(sql);
    switch (st.k) {
      case 'select':
        return runSelect(st, {
          variable: (n) => ({ version: this.e.version, version_comment: '(opsflow simulated ProxySQL Admin Module)' } as Record<string, Cell>)[n],
          fn: (n) => ({ VERSION: this.e.version, DATABASE: 'main' } as Record<string, Cell>)[n],
        }, (t) => this.source(t));
      case 'insert': case 'update': case 'delete': {
        const t = this.writable(st.table);
        const def = TABLES[t];
        const r = st.k === 'insert' ? runInsert(def, this.memory[t], st) : st.k === 'update' ? runUpdate(def, this.memory[t], st) : runDelete(def, this.memory[t], st);
        this.memory[t] = r.rows;
        return ok(r.affected);
      }
      case 'load-save':
        return this.loadSave(st, sql);
      case 'show':
        if (st.what === 'TABLES') {
          const names = [...TABLE_NAMES, ...TABLE_NAMES.map((t) => `runtime_${t}`), 'runtime_checksums_values'].sort();
          return resultSet([{ name: 'tables' }], names.map((n) => [n]));
        }
        throw unsupported(sql, 'opsflow simulated ProxySQL Admin');
      case 'set-names':
        return ok(0);
      default:
        throw unsupported(sql, 'opsflow simulated ProxySQL Admin');
    }
  }

  private loadSave(st: Extract<Stmt, { k: 'load-save' }>, sql: string): Reply {
    const at = st.words.findIndex((w) => w === 'TO' || w === 'FROM');
    const words = at < 0 ? '' : st.words.slice(0, at).join(' ');
    const dir = st.words.slice(at).map((w) => ({ RUN: 'RUNTIME', MEM: 'MEMORY' } as Record<string, string>)[w] ?? w).join(' ');
    const m = MODULE_NAMES.find((x) => MODULES[x].words === words);
    if (!m || at < 0) throw unsupported(sql, 'opsflow simulated ProxySQL Admin');
    if (st.verb === 'LOAD' && (dir === 'TO RUNTIME' || dir === 'FROM MEMORY')) this.loadToRuntime(m);
    else if (st.verb === 'LOAD' && (dir === 'FROM DISK' || dir === 'TO MEMORY')) this.setModuleRows(this.memory, m, this.moduleRows(this.disk, m));
    else if (st.verb === 'SAVE' && (dir === 'TO DISK' || dir === 'FROM MEMORY')) this.saveToDisk(m);
    else if (st.verb === 'SAVE' && (dir === 'FROM RUNTIME' || dir === 'TO MEMORY')) this.setModuleRows(this.memory, m, this.moduleRows(this.runtime, m));
    else throw unsupported(sql, 'opsflow simulated ProxySQL Admin');
    return ok(0);
  }

  // ---- cluster ----

  private peerConn(hostname: string, address: string): Promise<mysql.Connection> {
    const have = this.conns.get(hostname);
    if (have && have.address === address) return have.conn;
    if (have) void have.conn.then((c) => c.destroy(), () => undefined);
    const conn = mysql.createConnection({ host: address, port: PROXYSQL_ADMIN_PORT, user: this.adminUser, password: this.adminPassword, connectTimeout: 2000, stream: fromPodIp(address, PROXYSQL_ADMIN_PORT, this.e.host) });
    conn.then((c) => c.on('error', () => this.dropConn(hostname)), () => this.dropConn(hostname));
    this.conns.set(hostname, { address, conn });
    return conn;
  }
  private dropConn(hostname: string): void {
    const have = this.conns.get(hostname);
    this.conns.delete(hostname);
    if (have) void have.conn.then((c) => c.destroy(), () => undefined);
  }

  private async clusterLoop(): Promise<void> {
    while (!this.stopped) {
      const interval = Math.max(100, Number(this.varValue('admin-cluster_check_interval_ms')) || 1000);
      const tick = sleep(interval);
      try {
        this.refreshPeers();
        await this.checkPeers();
        await this.syncModules();
      } catch (e) {
        this.log.warn('cluster check failed', { error: errorText(e) });
      }
      await tick;
    }
  }

  private async checkPeers(): Promise<void> {
    const servers = this.runtime.proxysql_servers.map((r) => ({ hostname: String(r.hostname), port: Number(r.port) }));
    const known = new Set(servers.map((x) => `${x.hostname}:${x.port}`));
    for (const k of [...this.peerChecks.keys()]) if (!known.has(k.slice(0, k.lastIndexOf(':')))) this.peerChecks.delete(k);
    const now = nowSec();
    await Promise.all(servers.map(async ({ hostname, port }) => {
      let rows: Array<{ name: string } & Checksum>;
      if (hostname === this.selfName) {
        rows = MODULE_NAMES.map((m) => ({ name: m, ...this.checks[m] }));
      } else {
        const address = this.peers.resolve(hostname);
        if (!address) return;
        try {
          const conn = await this.peerConn(hostname, address);
          const [res] = await conn.query({ sql: 'SELECT name, version, epoch, checksum FROM runtime_checksums_values ORDER BY name', timeout: 2000 });
          rows = (res as Array<Record<string, unknown>>).map((r) => ({ name: String(r.name), version: Number(r.version), epoch: Number(r.epoch), checksum: String(r.checksum) }));
          this.peerErrors.delete(hostname);
        } catch (e) {
          this.dropConn(hostname);
          const msg = errorText(e);
          if (this.peerErrors.get(hostname) !== msg && Date.now() - this.startedAt > 5000) {
            this.log.warn('cannot read a peer\'s checksums', { peer: hostname, address, error: msg });
            this.peerErrors.set(hostname, msg);
          }
          return;
        }
      }
      for (const r of rows) {
        if (!(MODULE_NAMES as string[]).includes(r.name)) continue;
        const key = `${hostname}:${port}:${r.name}`;
        const prev = this.peerChecks.get(key);
        const own = this.checks[r.name as Module];
        this.peerChecks.set(key, {
          hostname, port, name: r.name, version: r.version, epoch: r.epoch, checksum: r.checksum,
          changed_at: prev && prev.checksum === r.checksum ? prev.changed_at : now,
          updated_at: now,
          diff_check: r.checksum === own.checksum ? 0 : (prev?.diff_check ?? 0) + 1,
        });
      }
    }));
  }

  private async syncModules(): Promise<void> {
    const now = nowSec();
    for (const m of MODULE_NAMES) {
      if (m === 'proxysql_servers') continue; // follows the peers the runtime gives
      const own = this.checks[m];
      const need = Number(this.varValue(`admin-cluster_${m}_diffs_before_sync`));
      if (!(need > 0)) continue; // 0 disables sync of the module, like ProxySQL
      const candidates = [...this.peerChecks.values()].filter((p) => p.name === m && p.hostname !== this.selfName && p.updated_at >= now - 1
        && p.checksum !== own.checksum && p.version > 1 && p.diff_check >= need && (own.version === 1 || p.epoch > own.epoch));
      const best = candidates.sort((a, b) => b.epoch - a.epoch)[0];
      if (!best) continue;
      const address = this.peers.resolve(best.hostname);
      if (!address) continue;
      try {
        await this.pull(m, best, address);
      } catch (e) {
        this.dropConn(best.hostname);
        this.log.warn('cluster sync failed', { module: m, peer: best.hostname, error: errorText(e) });
      }
    }
  }

  private async pull(m: Module, from: PeerChecksum, address: string): Promise<void> {
    const { table, prefix } = moduleInfo(m);
    const def = TABLES[table];
    const conn = await this.peerConn(from.hostname, address);
    const sql = prefix
      ? `SELECT variable_name, variable_value FROM runtime_global_variables WHERE variable_name LIKE '${prefix}%'`
      : `SELECT ${def.columns.map((c) => c.name).join(', ')} FROM runtime_${table}`;
    const [res] = await conn.query({ sql, timeout: 5000 });
    let rows: Row[] = (res as Array<Record<string, unknown>>).map((r) => Object.fromEntries(def.columns.map((c) => {
      const v = r[c.name];
      return [c.name, v === null || v === undefined ? null : c.type === 'int' ? Number(v) : String(v)];
    })));
    if (prefix) {
      // Only the synced (checksummed) variables come from the peer; local ones stay.
      const incoming = new Map(rows.filter((r) => { const d = this.vars[String(r.variable_name)]; return d && !d.local; }).map((r) => [String(r.variable_name), r.variable_value]));
      rows = this.moduleRows(this.memory, m).map((r) => (incoming.has(String(r.variable_name)) ? { ...r, variable_value: incoming.get(String(r.variable_name)) ?? null } : r));
    }
    this.setModuleRows(this.memory, m, rows);
    this.loadToRuntime(m);
    const saveToDisk = this.varValue(`admin-cluster_${m}_save_to_disk`) === 'true';
    if (saveToDisk) this.saveToDisk(m);
    this.log.info('cluster sync: pulled a module from a peer', { module: m, peer: from.hostname, peerChecksum: from.checksum, checksum: this.checks[m].checksum, savedToDisk: saveToDisk });
    for (const p of this.peerChecks.values()) if (p.name === m) p.diff_check = p.checksum === this.checks[m].checksum ? 0 : p.diff_check;
  }
}
