// ProxySQL 2.x admin schema facts opsflow's Reconfigure needs (pure): the columns of mysql_users and
// mysql_query_rules with their SQL types, and the variables that must not be set through an
// OpsRequest (read-only, or holding credentials that would then sit in workflow history).

export interface ColumnType {
  type: 'int' | 'str';
  /** NOT NULL in ProxySQL's schema. */
  notNull: boolean;
}

const int = (notNull = true): ColumnType => ({ type: 'int', notNull });
const str = (notNull = false): ColumnType => ({ type: 'str', notNull });

export const MYSQL_USERS_COLUMNS: Record<string, ColumnType> = {
  username: str(true), password: str(), active: int(), use_ssl: int(), default_hostgroup: int(), default_schema: str(),
  schema_locked: int(), transaction_persistent: int(), fast_forward: int(), backend: int(), frontend: int(),
  max_connections: int(), attributes: str(true), comment: str(true),
};

export const MYSQL_QUERY_RULES_COLUMNS: Record<string, ColumnType> = {
  rule_id: int(), active: int(), username: str(), schemaname: str(), flagIN: int(), client_addr: str(), proxy_addr: str(),
  proxy_port: int(false), digest: str(), match_digest: str(), match_pattern: str(), negate_match_pattern: int(), re_modifiers: str(),
  flagOUT: int(false), replace_pattern: str(), destination_hostgroup: int(false), cache_ttl: int(false), cache_empty_result: int(false),
  cache_timeout: int(false), reconnect: int(false), timeout: int(false), retries: int(false), delay: int(false), next_query_flagIN: int(false),
  mirror_flagOUT: int(false), mirror_hostgroup: int(false), error_msg: str(), OK_msg: str(), sticky_conn: int(false), multiplex: int(false),
  gtid_from_hostgroup: int(false), log: int(false), apply: int(), attributes: str(true), comment: str(),
};

/** Variables an OpsRequest may not set: read-only ones, and credentials (they would enter workflow history). */
export function forbiddenVariable(name: string): string | undefined {
  if (name === 'admin-version') return 'is read-only';
  if (/credentials|password/i.test(name)) return 'holds credentials, which an OpsRequest must not carry (they would be stored in the workflow history); change it in the auth Secret instead';
  return undefined;
}
