// fast-check arbitraries for the fuzz test: PostgresOpsRequest and Postgres specs, valid-looking and
// malformed, each with what the oracle needs to judge the outcome (which config lines are harmful
// or malformed, how its timeout should be judged). Pure.
import fc from 'fast-check';
import { classifyTimeout } from './durations.ts';

/** What a postgresql.conf line is, by issue 11's rules. */
export type LineKind = 'valid' | 'restart' | 'unknown' | 'badValue' | 'malformed' | 'harmful';
export interface ConfLine { line: string; kind: LineKind }

// Every harmful line is harmless on this machine if it is (wrongly) accepted: commands are `true`,
// paths point nowhere that matters; but each one is what issue 11 says must be refused.
const lines: ConfLine[] = [
  { line: "work_mem = '8MB'", kind: 'valid' },
  { line: 'checkpoint_timeout = 10min', kind: 'valid' },
  { line: "application_name = 'it''s quoted'", kind: 'valid' },
  { line: "search_path = '\"$user\", public'", kind: 'valid' },
  { line: 'statement_timeout = 0 # a comment', kind: 'valid' },
  { line: 'max_connections = 120', kind: 'restart' },
  { line: 'shared_buffers = 160MB', kind: 'restart' },
  { line: 'max_connectionz = 5', kind: 'unknown' },
  { line: 'work_mem = lots', kind: 'badValue' },
  { line: 'max_connections = 0', kind: 'badValue' },
  { line: "log_line_prefix = '%m'; select 1; --'", kind: 'malformed' },
  { line: "work_mem = '8MB' trailing", kind: 'malformed' },
  { line: "application_name = 'unterminated", kind: 'malformed' },
  { line: "application_name = 'dangling\\", kind: 'malformed' },
  { line: 'work_mem = 8MB\\', kind: 'malformed' },
  { line: "archive_command = 'true'", kind: 'harmful' },
  { line: "restore_command = 'true'", kind: 'harmful' },
  { line: "archive_cleanup_command = 'true'", kind: 'harmful' },
  { line: "ssl_passphrase_command = 'true'", kind: 'harmful' },
  { line: "shared_preload_libraries = 'pg_stat_statements'", kind: 'harmful' },
  { line: "session_preload_libraries = 'auto_explain'", kind: 'harmful' },
  { line: "dynamic_library_path = '/tmp'", kind: 'harmful' },
  { line: "ssl_cert_file = '/etc/passwd'", kind: 'harmful' },
  { line: "include = '/etc/passwd'", kind: 'harmful' },
  { line: "recovery_target_time = '2020-01-01'", kind: 'harmful' },
  { line: "primary_conninfo = 'host=127.0.0.1 port=1'", kind: 'harmful' },
];

export const confLine = fc.constantFrom(...lines);
/** A config file: 1-3 lines (maybe with a blank line and a comment around them). */
export const confFile = fc.array(confLine, { minLength: 1, maxLength: 3 }).chain((ls) => fc.boolean().map((pad) => ({
  text: `${pad ? '# fuzz\n\n' : ''}${ls.map((l) => l.line).join('\n')}\n`, lines: ls,
})));

const goodTimeouts = ['1h30m', '90s', '1.5h', '5m', '10s', '24h', '2m30s', '300s'];
const edgeTimeouts = ['500ms', '9s', '25h', '0s', '100h', '9999999h'];
const bogusTimeouts = ['1.5x', 'abc', '5 m', '-5m', '1h30', '30', 'PT5M', '1e3s', '5m;id', '', '٣s', '1d'];
export const timeout = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...goodTimeouts) }, { weight: 2, arbitrary: fc.constantFrom(...edgeTimeouts) },
  { weight: 2, arbitrary: fc.constantFrom(...bogusTimeouts) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 30 }), fc.constantFrom('ms', 's', 'm', 'h', 'x', '')).map(([n, u]) => `${n}${u}`) });

const catalogVersions = ['16.13', '16.14', '16.15', '17.9', '17.11', '15.19'];
const bogusVersions = ['16', 'latest', '16.99', '99.1', '../16.15', "16.15'; --", '16.15 ', 'v16.15', ''];
export const targetVersion = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...catalogVersions) }, { weight: 1, arbitrary: fc.constantFrom(...bogusVersions) });

/** The placeholder the runner replaces with its current database's name. */
export const DB = '$DB';
const databaseRef = fc.oneof({ weight: 6, arbitrary: fc.constant<unknown>({ name: DB }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ name: 'no-such-db' }, { name: '' }, { name: 'Bad_Name' }, {}, 'pg') });

export interface OpsCase {
  spec: Record<string, unknown>;
  /** Content of a Secret the runner creates and names in spec.configuration.configSecret. */
  secret?: { text: string; lines: ConfLine[] };
  lines: ConfLine[];
  timeout?: ReturnType<typeof classifyTimeout>;
}

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
/** Usually absent or one of the good values, now and then a bad one (so most cases get past the API server). */
const field = (good: unknown[], bad: unknown[]) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const common = fc.record({
  timeout: maybe(timeout),
  apply: field(['IfReady', 'Always'], ['Sometimes', 1]),
  maxRetries: field([0, 1, 3], [-1, 101, 1.5, '3']),
  approval: field(['Automatic'], ['Maybe']),
  databaseRef,
});

const updateVersion = fc.record({ type: fc.constant('UpdateVersion'), updateVersion: fc.oneof({ weight: 5, arbitrary: targetVersion.map((v) => ({ targetVersion: v })) }, { weight: 1, arbitrary: fc.constant({}) }) });
const restart = fc.record({ type: fc.constant('Restart') });
const reconfigure = fc.record({
  type: fc.constant('Reconfigure'),
  how: fc.constantFrom('applyConfig', 'configSecret', 'missingSecret', 'remove', 'empty'),
  file: confFile,
  restart: field(['auto', 'true', 'false'], ['sometimes', true]),
});
const unknownType = fc.record({ type: fc.constantFrom('Scale', 'Upgrade', 'restart', '') });
/** A sub-spec that does not belong to the type (the API server must refuse it). */
const stray = fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom<Record<string, unknown>>({ updateVersion: { targetVersion: '16.15' } }, { configuration: { removeCustomConfig: true } }) });

export const opsCase: fc.Arbitrary<OpsCase> = fc.tuple(common, fc.oneof(
  { weight: 3, arbitrary: updateVersion }, { weight: 2, arbitrary: restart }, { weight: 4, arbitrary: reconfigure }, { weight: 1, arbitrary: unknownType },
), stray).map(([c, t, extra]) => {
  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (v !== undefined) spec[k] = v;
  let secret: OpsCase['secret'];
  let confLines: ConfLine[] = [];
  if ('how' in t) {
    spec.type = t.type;
    const restartField = t.restart !== undefined ? { restart: t.restart } : {};
    if (t.how === 'applyConfig') {
      spec.configuration = { applyConfig: { 'user.conf': t.file.text }, ...restartField };
      confLines = t.file.lines;
    } else if (t.how === 'configSecret') {
      secret = t.file;
      confLines = t.file.lines;
      spec.configuration = { configSecret: { name: '$SECRET' }, ...restartField };
    } else if (t.how === 'missingSecret') spec.configuration = { configSecret: { name: 'no-such-secret' } };
    else if (t.how === 'remove') spec.configuration = { removeCustomConfig: true };
    else spec.configuration = {};
  } else Object.assign(spec, t);
  if (extra) Object.assign(spec, extra);
  return { spec, secret, lines: confLines, timeout: typeof c.timeout === 'string' ? classifyTimeout(c.timeout) : undefined };
});

export interface DbCase {
  spec: Record<string, unknown>;
  secret?: { text: string; lines: ConfLine[] };
  lines: ConfLine[];
}

export const dbCase: fc.Arbitrary<DbCase> = fc.record({
  version: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<unknown>('16.13', '17.11') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('16.99', 'latest', '', 16) }),
  replicas: field([1, 2], [0, 10, -1, 1.5, '2']),
  storageType: field(['Durable', 'Ephemeral'], ['Cloud']),
  deletionPolicy: field(['Delete', 'WipeOut', 'Halt'], ['Never']),
  updatePolicy: field(['OpsRequest', 'Disabled'], ['Auto']),
  standbyMode: field(['Hot', 'Warm'], ['Cold']),
  storage: field([{ resources: { requests: { storage: '1Gi' } } }], [{ resources: { requests: { storage: 'lots' } } }, { resources: { requests: { storage: '-1Gi' } } }]),
  config: fc.option(confFile, { nil: undefined, freq: 2 }),
}).map(({ config, ...rest }) => {
  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) spec[k] = v;
  if (config) spec.configSecret = { name: '$SECRET' };
  return { spec, secret: config, lines: config?.lines ?? [] };
});
