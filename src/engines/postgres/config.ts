// postgresql.conf handling (pure): parse lines into parameters, merge parameter by parameter with
// the precedence defaults < configSecret < applyConfig, and render them back.
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

export function parseConf(text: string): PgParams {
  const out: PgParams = {};
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined || m[2].trim() === '') throw new Error(`line ${i + 1}: "${raw.trim()}" is not "name = value"`);
    out[m[1].toLowerCase()] = unquote(m[2].trim());
  });
  return out;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "'") quoted = !quoted;
    if (line[i] === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

function unquote(v: string): string {
  return v.startsWith("'") && v.endsWith("'") && v.length >= 2 ? v.slice(1, -1).replace(/''/g, "'") : v;
}

export function mergeParams(...layers: Array<PgParams | undefined>): PgParams {
  return Object.assign({}, ...layers.filter(Boolean)) as PgParams;
}

export function renderConf(params: PgParams): string {
  return Object.keys(params).sort().map((k) => `${k} = '${(params[k] ?? '').replace(/'/g, "''")}'`).join('\n') + '\n';
}
