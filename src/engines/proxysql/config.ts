// ProxySQL Reconfigure (pure): validating spec.configuration (mysqlUsers, mysqlQueryRules,
// adminVariables, mysqlVariables), the admin SQL that applies it (memory tables, then LOAD … TO
// RUNTIME and SAVE … TO DISK), and what every member must then report in its runtime tables.
//
// Quoting: ProxySQL's admin interface runs its SQL on SQLite, where a string literal is single-quoted
// with '' for a quote and a backslash is an ordinary character; MySQL-style parsers treat backslash as
// an escape. So strings are quoted the SQLite way and values containing a backslash or a control
// character are rejected up front (their meaning would depend on the parser). Column and variable
// names are never quoted: only known column names and existing variable names get into a statement.
import { MYSQL_QUERY_RULES_COLUMNS, MYSQL_USERS_COLUMNS, forbiddenVariable, type ColumnType } from './tables.ts';

export type ReqType = 'add' | 'update' | 'delete';
export type Cell = string | number | boolean | null;
type RowSpec = Record<string, unknown>;

export interface ProxySQLConfiguration {
  mysqlUsers?: { users: RowSpec[]; reqType: ReqType };
  mysqlQueryRules?: { rules: RowSpec[]; reqType: ReqType };
  adminVariables?: Record<string, unknown>;
  mysqlVariables?: Record<string, unknown>;
}

/** One admin statement; `shown` is the same text with passwords replaced, for logs and errors. */
export interface Statement {
  sql: string;
  shown: string;
}

const F = 'spec.configuration';

/** Why a password in the OpsRequest is refused (the CRD says the same, see src/api/opsrequests.ts). */
export const CLEARTEXT_REFUSED = 'a cleartext password is not accepted in an OpsRequest: put it in a Secret and reference it with passwordSecretRef: {name, key}, or leave it out to take the user\'s password from the backend';
export const REDACTED_SQL = "'<redacted>'";

/** A SQLite string literal. */
export function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function unsafeText(s: string): string | undefined {
  if (s.includes('\\')) return 'contains a backslash, which ProxySQL\'s admin SQL (SQLite) and MySQL escaping read differently; not supported';
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'contains a control character; not supported';
  return undefined;
}

/** The SQL literal for a value of a column of this type (validated beforehand). */
export function literal(v: unknown, col: ColumnType): string {
  if (v === null || v === undefined) return 'NULL';
  if (col.type === 'int') {
    if (typeof v === 'boolean') return v ? '1' : '0';
    return String(Number(v));
  }
  return quote(String(v));
}

/** Problem with a value for a column, if any. */
function valueProblem(v: unknown, col: ColumnType): string | undefined {
  if (v === null) return col.notNull ? 'must not be null' : undefined;
  if (col.type === 'int') {
    if (typeof v === 'boolean') return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return undefined;
    if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return undefined;
    return `must be an integer, not ${JSON.stringify(v)}`;
  }
  if (typeof v === 'string') return unsafeText(v);
  if (typeof v === 'number' || typeof v === 'boolean') return undefined;
  return `must be a string, not ${JSON.stringify(v)}`;
}

/** The full ProxySQL name of a variable given in adminVariables / mysqlVariables (prefix optional, as in KubeDB). */
export function variableName(prefix: 'admin-' | 'mysql-', key: string): string {
  return key.startsWith(prefix) ? key : `${prefix}${key}`;
}

/** A variable's value as ProxySQL stores it (text; booleans as true/false). */
export const variableValue = (v: unknown): string => String(v);

interface TableSpec {
  field: string;
  list: 'users' | 'rules';
  table: 'mysql_users' | 'mysql_query_rules';
  key: 'username' | 'rule_id';
  columns: Record<string, ColumnType>;
  words: string;
  what: (k: unknown) => string;
}

const USERS: TableSpec = {
  field: `${F}.mysqlUsers`, list: 'users', table: 'mysql_users', key: 'username', columns: MYSQL_USERS_COLUMNS, words: 'MYSQL USERS',
  what: (k) => `mysql user ${JSON.stringify(k)}`,
};
const RULES: TableSpec = {
  field: `${F}.mysqlQueryRules`, list: 'rules', table: 'mysql_query_rules', key: 'rule_id', columns: MYSQL_QUERY_RULES_COLUMNS, words: 'MYSQL QUERY RULES',
  what: (k) => `query rule ${String(k)}`,
};

function rowsProblems(spec: TableSpec, rows: RowSpec[], reqType: ReqType): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const at = `${spec.field}.${spec.list}[${i}]`;
    const key = row[spec.key];
    if (key === undefined || key === null || key === '') problems.push(`${at}.${spec.key}: required`);
    else if (seen.has(String(key))) problems.push(`${at}.${spec.key}: ${spec.what(key)} is listed twice`);
    else seen.add(String(key));
    for (const [col, v] of Object.entries(row)) {
      if (spec.table === 'mysql_users' && col === 'passwordSecretRef') {
        const ref = v as { name?: unknown } | null;
        if (reqType === 'delete') problems.push(`${at}.passwordSecretRef: not used when reqType is delete`);
        else if (typeof ref?.name !== 'string' || ref.name === '') problems.push(`${at}.passwordSecretRef.name: required`);
        continue;
      }
      if (spec.table === 'mysql_users' && col === 'password') {
        problems.push(`${at}.password: ${CLEARTEXT_REFUSED}`);
        continue;
      }
      const type = spec.columns[col];
      if (!type) {
        problems.push(`${at}.${col}: unknown ${spec.table} column (known: ${Object.keys(spec.columns).join(', ')})`);
        continue;
      }
      const p = valueProblem(v, type);
      if (p) problems.push(`${at}.${col}: ${col === 'password' ? p.replace(/, not .*$/, '') : p}`);
    }
    const others = Object.keys(row).filter((c) => c !== spec.key);
    if (reqType === 'update' && others.length === 0) problems.push(`${at}: nothing to update (give at least one column besides ${spec.key})`);
  });
  return problems;
}

function variablesProblems(field: string, prefix: 'admin-' | 'mysql-', vars: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, v] of Object.entries(vars)) {
    const name = variableName(prefix, key);
    const at = `${field}.${key}`;
    if (!/^[a-z0-9_-]+$/i.test(name)) {
      problems.push(`${at}: not a variable name`);
      continue;
    }
    const forbidden = forbiddenVariable(name);
    if (forbidden) problems.push(`${at}: ${name} ${forbidden}`);
    if (!['string', 'number', 'boolean'].includes(typeof v)) problems.push(`${at}: must be a string, number or boolean`);
    else {
      const p = unsafeText(variableValue(v));
      if (p) problems.push(`${at}: ${p}`);
    }
  }
  return problems;
}

/** Everything wrong with the request that can be seen without asking ProxySQL (field paths in each message). */
export function configurationProblems(cfg: ProxySQLConfiguration | undefined): string[] {
  if (!cfg || (!cfg.mysqlUsers && !cfg.mysqlQueryRules && !cfg.adminVariables && !cfg.mysqlVariables)) {
    return [`${F}: give at least one of mysqlUsers, mysqlQueryRules, adminVariables, mysqlVariables`];
  }
  return [
    ...(cfg.mysqlUsers ? rowsProblems(USERS, cfg.mysqlUsers.users, cfg.mysqlUsers.reqType) : []),
    ...(cfg.mysqlQueryRules ? rowsProblems(RULES, cfg.mysqlQueryRules.rules, cfg.mysqlQueryRules.reqType) : []),
    ...variablesProblems(`${F}.adminVariables`, 'admin-', cfg.adminVariables ?? {}),
    ...variablesProblems(`${F}.mysqlVariables`, 'mysql-', cfg.mysqlVariables ?? {}),
  ];
}

/** What the server has now: user names, rule ids and variable names (its runtime tables). */
export interface LiveFacts {
  users: Set<string>;
  rules: Set<number>;
  variables: Set<string>;
}

/** Problems against the server's current state: add of an existing row, update/delete of a missing one, unknown variables. */
export function liveProblems(cfg: ProxySQLConfiguration, facts: LiveFacts): string[] {
  const problems: string[] = [];
  const rows = (spec: TableSpec, list: RowSpec[] | undefined, reqType: ReqType | undefined, exists: (k: unknown) => boolean) => {
    (list ?? []).forEach((row, i) => {
      const k = row[spec.key];
      const at = `${spec.field}.${spec.list}[${i}].${spec.key}`;
      if (reqType === 'add' && exists(k)) problems.push(`${at}: ${spec.what(k)} already exists (use reqType update)`);
      if (reqType !== 'add' && !exists(k)) problems.push(`${at}: ${spec.what(k)} does not exist`);
    });
  };
  rows(USERS, cfg.mysqlUsers?.users, cfg.mysqlUsers?.reqType, (k) => facts.users.has(String(k)));
  rows(RULES, cfg.mysqlQueryRules?.rules, cfg.mysqlQueryRules?.reqType, (k) => facts.rules.has(Number(k)));
  for (const [field, prefix, vars] of [['adminVariables', 'admin-', cfg.adminVariables], ['mysqlVariables', 'mysql-', cfg.mysqlVariables]] as const) {
    for (const key of Object.keys(vars ?? {})) {
      const name = variableName(prefix, key);
      if (!facts.variables.has(name)) problems.push(`${F}.${field}.${key}: unknown ProxySQL variable ${name}`);
    }
  }
  return problems;
}

/** passwordOf: the real password of a user (read from the OpsRequest by the activity); never in `shown`. */
function rowStatements(spec: TableSpec, rows: RowSpec[], reqType: ReqType, passwordOf: (user: string) => string | undefined): Statement[] {
  return rows.map((row) => {
    const key = row[spec.key];
    const where = `WHERE ${spec.key} = ${literal(key, spec.columns[spec.key] as ColumnType)}`;
    if (reqType === 'delete') {
      const sql = `DELETE FROM ${spec.table} ${where}`;
      return { sql, shown: sql };
    }
    const cols = Object.keys(row).filter((c) => c !== spec.key || reqType === 'add');
    const value = (c: string, forShow: boolean): string => {
      if (c !== 'password' || spec.table !== 'mysql_users') return literal(row[c], spec.columns[c] as ColumnType);
      if (forShow) return REDACTED_SQL;
      const pw = passwordOf(String(key));
      if (pw === undefined) throw new Error(`${spec.field}: no password for ${spec.what(key)} in the OpsRequest`);
      return literal(pw, MYSQL_USERS_COLUMNS.password as ColumnType);
    };
    const render = (forShow: boolean) => (reqType === 'add'
      // OR REPLACE: a retried apply (the row is already there) is not an error.
      ? `INSERT OR REPLACE INTO ${spec.table} (${cols.join(', ')}) VALUES (${cols.map((c) => value(c, forShow)).join(', ')})`
      : `UPDATE ${spec.table} SET ${cols.map((c) => `${c} = ${value(c, forShow)}`).join(', ')} ${where}`);
    return { sql: render(false), shown: render(true) };
  });
}

const plain = (sql: string): Statement => ({ sql, shown: sql });

/** The admin statements that apply the configuration on one member, in order; each is idempotent. */
export function applyStatements(cfg: ProxySQLConfiguration, passwordOf: (user: string) => string | undefined): Statement[] {
  const out: Statement[] = [];
  const persist = (words: string) => out.push(plain(`LOAD ${words} TO RUNTIME`), plain(`SAVE ${words} TO DISK`));
  if (cfg.mysqlUsers) {
    out.push(...rowStatements(USERS, cfg.mysqlUsers.users, cfg.mysqlUsers.reqType, passwordOf));
    persist(USERS.words);
  }
  if (cfg.mysqlQueryRules) {
    out.push(...rowStatements(RULES, cfg.mysqlQueryRules.rules, cfg.mysqlQueryRules.reqType, passwordOf));
    persist(RULES.words);
  }
  for (const [prefix, vars, words] of [['admin-', cfg.adminVariables, 'ADMIN VARIABLES'], ['mysql-', cfg.mysqlVariables, 'MYSQL VARIABLES']] as const) {
    if (!vars || Object.keys(vars).length === 0) continue;
    for (const [key, v] of Object.entries(vars)) {
      out.push(plain(`UPDATE global_variables SET variable_value = ${quote(variableValue(v))} WHERE variable_name = ${quote(variableName(prefix, key))}`));
    }
    persist(words);
  }
  return out;
}

/** What a member's runtime must show after the change. */
export interface Expectation {
  /** Human label, e.g. `mysql user "app"`, `query rule 4`, `variable admin-refresh_interval`. */
  what: string;
  /** The runtime query that reads it (keys are validated or quoted). */
  query: string;
  present: boolean;
  /** Column → expected value as text (null for NULL); compared case-insensitively for variables. */
  columns: Record<string, string | null>;
  /** The user whose password the runtime row must hold (checked by the activity, never returned). */
  passwordOf?: string;
}

const asText = (v: unknown, col: ColumnType): string | null => {
  if (v === null || v === undefined) return null;
  if (col.type === 'int') return typeof v === 'boolean' ? (v ? '1' : '0') : String(Number(v));
  return String(v);
};

export function expectations(cfg: ProxySQLConfiguration): Expectation[] {
  const out: Expectation[] = [];
  for (const [spec, list, reqType] of [[USERS, cfg.mysqlUsers?.users, cfg.mysqlUsers?.reqType], [RULES, cfg.mysqlQueryRules?.rules, cfg.mysqlQueryRules?.reqType]] as const) {
    for (const row of list ?? []) {
      const key = row[spec.key];
      // frontend/backend are split into separate runtime rows by ProxySQL, and the password is checked apart.
      const cols = Object.entries(row).filter(([c]) => !['password', 'frontend', 'backend'].includes(c) || spec.table !== 'mysql_users');
      out.push({
        what: spec.what(key),
        query: `SELECT * FROM runtime_${spec.table} WHERE ${spec.key} = ${literal(key, spec.columns[spec.key] as ColumnType)}`,
        present: reqType !== 'delete',
        columns: reqType === 'delete' ? {} : Object.fromEntries(cols.map(([c, v]) => [c, asText(v, spec.columns[c] as ColumnType)])),
        ...(spec.table === 'mysql_users' && reqType !== 'delete' && 'password' in row ? { passwordOf: String(key) } : {}),
      });
    }
  }
  for (const [prefix, vars] of [['admin-', cfg.adminVariables], ['mysql-', cfg.mysqlVariables]] as const) {
    for (const [key, v] of Object.entries(vars ?? {})) {
      const name = variableName(prefix, key);
      out.push({ what: `variable ${name}`, query: `SELECT variable_name, variable_value FROM runtime_global_variables WHERE variable_name = ${quote(name)}`, present: true, columns: { variable_value: variableValue(v) } });
    }
  }
  return out;
}

/**
 * Problems of one member's runtime rows against an expectation (empty: as expected).
 * passwordOk says whether a stored password is the user's (the caller knows the secret).
 */
export function expectationProblems(member: string, e: Expectation, rows: Array<Record<string, unknown>>, passwordOk: (user: string, stored: unknown) => boolean): string[] {
  if (!e.present) return rows.length === 0 ? [] : [`${member}: ${e.what} is still there`];
  if (rows.length === 0) return [`${member}: ${e.what} is missing from the runtime`];
  const problems: string[] = [];
  const ci = e.what.startsWith('variable ');
  for (const [col, want] of Object.entries(e.columns)) {
    const bad = rows.find((r) => {
      const got = r[col] === null || r[col] === undefined ? null : String(r[col]);
      return ci ? (got ?? '').toLowerCase() !== (want ?? '').toLowerCase() : got !== want;
    });
    if (bad) problems.push(`${member}: ${e.what} has ${col} = ${JSON.stringify(bad[col] ?? null)}, expected ${JSON.stringify(want)}`);
  }
  if (e.passwordOf !== undefined && !rows.some((r) => passwordOk(e.passwordOf ?? '', r.password))) {
    problems.push(`${member}: ${e.what} does not have the requested password`);
  }
  return problems;
}

/** One line for the step message: what the request changes. */
export function describeConfiguration(cfg: ProxySQLConfiguration): string {
  const parts: string[] = [];
  if (cfg.mysqlUsers) parts.push(`${cfg.mysqlUsers.reqType} ${cfg.mysqlUsers.users.length} user(s) (${cfg.mysqlUsers.users.map((u) => String(u.username)).join(', ')})`);
  if (cfg.mysqlQueryRules) parts.push(`${cfg.mysqlQueryRules.reqType} ${cfg.mysqlQueryRules.rules.length} query rule(s) (${cfg.mysqlQueryRules.rules.map((r) => String(r.rule_id)).join(', ')})`);
  const vars = [...Object.keys(cfg.adminVariables ?? {}).map((k) => variableName('admin-', k)), ...Object.keys(cfg.mysqlVariables ?? {}).map((k) => variableName('mysql-', k))];
  if (vars.length) parts.push(`set ${vars.join(', ')}`);
  return parts.join('; ');
}
