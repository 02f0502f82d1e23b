// SIMULATED MySQL server, dev/test infrastructure only: NOT MySQL. It plays the backend a ProxySQL
// routes to (KubeDB's ProxySQL guides put a MySQL there), so that opsflow's lookup of a mysql user's
// password in the backend (src/activities/proxysql-passwords.ts) runs against the MySQL protocol and
// MySQL's own catalog query. It speaks the protocol on <SIM_HOST>:3306, lets root in with
// MYSQL_ROOT_PASSWORD (the official image's variable), and keeps accounts only:
//   CREATE USER [IF NOT EXISTS] 'u'@'h' IDENTIFIED BY 'p'   (stored as mysql_native_password, *HEX)
//   DROP USER [IF EXISTS] 'u'@'h'
//   SELECT … FROM mysql.user [WHERE …]                     (user, host, authentication_string, plugin)
//   SELECT @@version / VERSION() / 1; SET NAMES; and, accepted as no-ops: GRANT, FLUSH PRIVILEGES,
//   CREATE DATABASE (there is no storage engine and no query execution).
// Accounts persist in SIM_STATE_DIR/mysql-users.json (the Pod's data volume).
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../../src/logger.ts';
import { ConfigError, JsonFile, type SimEnv } from './common.ts';
import { doubleSha1, ok, SqlError, startMysqlServer, stopMysqlServer, type Cell, type Credential, type Reply, type Session } from './protocol.ts';
import { parse } from './sql.ts';
import { runSelect, sourceOf, type TableDef } from './tables.ts';

export const MYSQL_PORT = 3306;

interface Account { user: string; host: string; authentication_string: string; plugin: string }

const USER_TABLE: TableDef = {
  name: 'user',
  key: ['host', 'user'],
  columns: [
    { name: 'host', type: 'str', default: '%' },
    { name: 'user', type: 'str', default: '' },
    { name: 'authentication_string', type: 'str', default: '' },
    { name: 'plugin', type: 'str', default: 'mysql_native_password' },
  ],
};

/** mysql_native_password's stored form: `*` + HEX(SHA1(SHA1(password))). */
export const nativeHash = (password: string) => `*${doubleSha1(password).toString('hex').toUpperCase()}`;

// 'name' or `name` or "name"
const QUOTED = String.raw`(?:'((?:[^']|'')*)'|\x60([^\x60]*)\x60|"([^"]*)")`;
const ACCOUNT = new RegExp(String.raw`^${QUOTED}(?:\s*@\s*${QUOTED})?`);

function unq(m: RegExpExecArray, at: number): string | undefined {
  const v = m[at] ?? m[at + 1] ?? m[at + 2];
  return v?.replace(/''/g, "'");
}

export class MySQLSim {
  private readonly file: JsonFile<{ accounts: Account[] }>;
  private accounts: Account[];
  private server?: Server;
  private readonly rootPassword: string;

  constructor(private readonly e: SimEnv, private readonly log: Logger) {
    const pw = e.env.MYSQL_ROOT_PASSWORD;
    if (!pw) throw new ConfigError('MYSQL_ROOT_PASSWORD must be set');
    this.rootPassword = pw;
    this.file = new JsonFile(join(e.stateDir, 'mysql-users.json'));
    this.accounts = this.file.read()?.accounts ?? [];
  }

  async start(): Promise<void> {
    this.server = await startMysqlServer({
      host: this.e.host,
      port: MYSQL_PORT,
      serverVersion: `${this.e.version}-simulated`,
      credential: (u) => this.credential(u),
      query: (sql, s) => this.query(sql, s),
      onError: (m) => this.log.warn(m),
    });
    this.log.info('SIMULATED MySQL listening', { address: `${this.e.host}:${MYSQL_PORT}`, version: this.e.version, accounts: this.accounts.length });
  }

  async stop(): Promise<void> {
    if (this.server) await stopMysqlServer(this.server);
  }

  private credential(user: string): Credential | undefined {
    if (user === 'root') return { password: this.rootPassword };
    const a = this.accounts.find((x) => x.user === user);
    return a ? { doubleSha1: Buffer.from(a.authentication_string.slice(1), 'hex') } : undefined;
  }

  private save(): void {
    this.file.write({ accounts: this.accounts });
  }

  private accountOf(text: string, sql: string): { user: string; host: string; rest: string } {
    const m = ACCOUNT.exec(text.trim());
    const user = m ? unq(m, 1) : undefined;
    if (!m || user === undefined) throw new SqlError(1064, `You have an error in your SQL syntax near '${sql.slice(0, 60)}' (opsflow simulated MySQL expects 'user'@'host')`, '42000');
    return { user, host: unq(m, 4) ?? '%', rest: text.trim().slice(m[0].length).trim() };
  }

  private query(sql: string, session: Session): Reply {
    const text = sql.trim().replace(/;\s*$/, '');
    const create = /^CREATE\s+USER\s+(IF\s+NOT\s+EXISTS\s+)?(.*)$/is.exec(text);
    if (create) {
      const { user, host, rest } = this.accountOf(create[2] ?? '', sql);
      const by = new RegExp(String.raw`^IDENTIFIED\s+(?:WITH\s+\w+\s+)?BY\s+${QUOTED}$`, 'is').exec(rest);
      const password = by ? unq(by, 1) : undefined;
      if (password === undefined) throw new SqlError(1064, 'opsflow simulated MySQL: CREATE USER needs IDENTIFIED BY \'password\'', '42000');
      if (this.accounts.some((a) => a.user === user && a.host === host)) {
        if (create[1]) return ok(0);
        throw new SqlError(1396, `Operation CREATE USER failed for '${user}'@'${host}'`, 'HY000');
      }
      this.accounts.push({ user, host, authentication_string: nativeHash(password), plugin: 'mysql_native_password' });
      this.save();
      this.log.info('user created', { user, host, by: session.user });
      return ok(0);
    }
    const drop = /^DROP\s+USER\s+(IF\s+EXISTS\s+)?(.*)$/is.exec(text);
    if (drop) {
      const { user, host } = this.accountOf(drop[2] ?? '', sql);
      const before = this.accounts.length;
      this.accounts = this.accounts.filter((a) => !(a.user === user && a.host === host));
      if (this.accounts.length === before && !drop[1]) throw new SqlError(1396, `Operation DROP USER failed for '${user}'@'${host}'`, 'HY000');
      this.save();
      return ok(0);
    }
    if (/^(GRANT|FLUSH\s+PRIVILEGES|CREATE\s+DATABASE)\b/i.test(text)) return ok(0);
    const st = parse(text);
    if (st.k === 'set-names') return ok(0);
    if (st.k !== 'select') throw new SqlError(1235, `opsflow simulated MySQL does not support: ${text.slice(0, 80)}`, '42000');
    return runSelect(st, {
      variable: (n) => ({ version: `${this.e.version}-simulated`, version_comment: 'opsflow simulated MySQL' } as Record<string, Cell>)[n],
      fn: (n) => ({ VERSION: `${this.e.version}-simulated`, DATABASE: null, USER: `${session.user}@${session.remoteAddress}` } as Record<string, Cell>)[n],
    }, (table) => (table.toLowerCase() === 'mysql.user' ? sourceOf(USER_TABLE, this.accounts.map((a) => ({ ...a }))) : undefined));
  }
}
