// postgresql.conf handling (pure): parse lines into parameters, merge parameter by parameter with
// the precedence defaults < configSecret < applyConfig, and render them back.
import { parseEntries, quoteValue } from './conf-syntax.ts';

export type PgParams = Record<string, string>;

/** opsflow's defaults: what streaming replication and a small footprint need. */
export const defaultParams: PgParams = {
  max_connections: '100',
  shared_buffers: '128MB',
  wal_level: 'replica',
  max_wal_senders: '10',
  max_replication_slots: '10',
  wal_keep_size: '256MB',
  hot_standby: 'on',
  password_encryption: 'scram-sha-256',
};

/** The key of a config Secret that holds user postgresql.conf lines (KubeDB's name). */
export const USER_CONF_KEY = 'user.conf';

/** Parameters of a postgresql.conf text (strict: see conf-syntax.ts); throws ConfSyntaxError naming the line. */
export function parseConf(text: string): PgParams {
  const out: PgParams = {};
  for (const e of parseEntries(text)) out[e.name] = e.value;
  return out;
}

export function mergeParams(...layers: Array<PgParams | undefined>): PgParams {
  return Object.assign({}, ...layers.filter(Boolean)) as PgParams;
}

export function renderConf(params: PgParams): string {
  return Object.keys(params).sort().map((k) => `${k} = ${quoteValue(params[k] ?? '')}`).join('\n') + '\n';
}
