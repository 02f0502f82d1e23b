// postgresql.conf values against the server's own parameter catalog (pg_settings), pure: is a name
// known, is a value valid for its type, unit and range, what does it normalise to (so a value read
// back with SHOW compares equal to what was asked), and does a change need a restart.

/** One row of pg_settings, as read from the server. */
export interface PgSetting {
  name: string;
  /** bool, integer, real, string, enum */
  vartype: string;
  /** internal, postmaster, sighup, superuser-backend, backend, superuser, user */
  context: string;
  /** The unit of `setting`: 8kB, kB, MB, ms, s, min, … or null. */
  unit: string | null;
  min_val: string | null;
  max_val: string | null;
  enumvals: string[] | null;
  /** The current value in base units (for memory and time: counts of `unit`). */
  setting: string;
}

/** Parameters opsflow sets on the command line or relies on; a config cannot change them. */
export const managedParams = new Set([
  'listen_addresses', 'port', 'unix_socket_directories', 'cluster_name', 'primary_conninfo', 'data_directory',
  'hba_file', 'ident_file', 'config_file', 'include', 'include_dir', 'include_if_exists',
]);

const memoryUnits: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const timeUnits: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** The size of one `unit` of a setting in bytes or milliseconds, and which family it is. */
function baseUnit(unit: string): { family: 'memory' | 'time'; size: number } | undefined {
  const m = /^(\d*)\s*(B|kB|MB|GB|TB|us|ms|s|min|h|d)$/.exec(unit);
  if (!m?.[2]) return undefined;
  const n = m[1] ? Number(m[1]) : 1;
  if (m[2] in memoryUnits) return { family: 'memory', size: n * (memoryUnits[m[2]] ?? 1) };
  return { family: 'time', size: n * (timeUnits[m[2]] ?? 1) };
}

const boolWords: Record<string, boolean> = { on: true, off: false, true: true, false: false, yes: true, no: false, '1': true, '0': false };

export type Normalised = { ok: true; value: string } | { ok: false; problem: string };

/**
 * The value in the form pg_settings.setting reports it (base units, on/off, lower-case enum), or the
 * problem with it: not a number, a unit that does not fit, out of range, not one of the enum values.
 */
export function normaliseValue(s: PgSetting, raw: string): Normalised {
  const v = raw.trim();
  switch (s.vartype) {
    case 'bool': {
      // Postgres also takes unique prefixes (t, f, y, n, of is ambiguous).
      const word = Object.keys(boolWords).find((w) => w === v.toLowerCase()) ??
        (['t', 'tr', 'tru', 'y', 'ye'].includes(v.toLowerCase()) ? 'true' : ['f', 'fa', 'fal', 'fals', 'n'].includes(v.toLowerCase()) ? 'false' : undefined);
      return word === undefined ? { ok: false, problem: `"${raw}" is not a boolean (on/off, true/false, yes/no, 1/0)` } : { ok: true, value: boolWords[word] ? 'on' : 'off' };
    }
    case 'enum': {
      const hit = (s.enumvals ?? []).find((e) => e.toLowerCase() === v.toLowerCase());
      return hit === undefined ? { ok: false, problem: `"${raw}" is not one of ${(s.enumvals ?? []).join(', ')}` } : { ok: true, value: hit };
    }
    case 'integer':
    case 'real': {
      const m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)$/.exec(v);
      if (!m?.[1]) return { ok: false, problem: `"${raw}" is not a${s.vartype === 'integer' ? 'n integer' : ' number'}${s.unit ? ` (with an optional unit; base unit ${s.unit})` : ''}` };
      let n = Number(m[1]);
      const given = m[2] ?? '';
      if (given) {
        const base = s.unit ? baseUnit(s.unit) : undefined;
        const asked = baseUnit(given);
        if (!base || !asked || asked.family !== base.family) {
          return { ok: false, problem: `"${raw}": unit "${given}" does not fit this parameter${s.unit ? ` (its unit is ${s.unit})` : ' (it takes no unit)'}` };
        }
        n = (n * asked.size) / base.size;
      }
      if (s.vartype === 'integer') {
        if (!given && !Number.isInteger(n)) return { ok: false, problem: `"${raw}" is not an integer` };
        n = Math.round(n);
      }
      const min = s.min_val === null ? undefined : Number(s.min_val);
      const max = s.max_val === null ? undefined : Number(s.max_val);
      if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
        return { ok: false, problem: `"${raw}" is out of range ${s.min_val} .. ${s.max_val}${s.unit ? ` (in ${s.unit})` : ''}` };
      }
      return { ok: true, value: String(n) };
    }
    default:
      return { ok: true, value: v };
  }
}

/** Whether the value the server reports (pg_settings.setting) is the value asked for. */
export function settingMatches(s: PgSetting, asked: string): boolean {
  const n = normaliseValue(s, asked);
  if (!n.ok) return false;
  if (s.vartype === 'real') return Math.abs(Number(s.setting) - Number(n.value)) <= 1e-9 * Math.max(1, Math.abs(Number(n.value)));
  return s.setting === n.value;
}

/**
 * The problems of a set of parameters against the catalog: unknown names, managed or read-only
 * ones, invalid values. `where` names the source of each parameter for the message.
 */
export function paramProblems(params: Record<string, string>, catalog: Map<string, PgSetting>, where: (name: string) => string): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const s = catalog.get(name);
    if (!s) {
      // Custom (extension) parameters have a dot: allowed, as in postgresql.conf.
      if (!name.includes('.')) problems.push(`${where(name)}: unknown parameter "${name}"`);
      continue;
    }
    if (managedParams.has(name)) {
      problems.push(`${where(name)}: "${name}" is set by opsflow and cannot be configured`);
      continue;
    }
    if (s.context === 'internal') {
      problems.push(`${where(name)}: "${name}" is read-only (fixed when PostgreSQL was built or initialised)`);
      continue;
    }
    const n = normaliseValue(s, value);
    if (!n.ok) problems.push(`${where(name)}: ${name}: ${n.problem}`);
  }
  return problems;
}

/** The parameters whose effective value differs between two configs (added, changed or removed). */
export function changedParams(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}

/** A change needs a restart when any changed parameter can only be set at server start. */
export function needsRestart(changed: string[], catalog: Map<string, PgSetting>): string[] {
  return changed.filter((n) => catalog.get(n)?.context === 'postmaster');
}

/** A hot standby needs these at least as high as its primary's (PostgreSQL refuses to replay otherwise). */
export const standbyLimitParams = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];

/**
 * The standby-limit parameters a change lowers. Lowering one means the primary restarts first: a
 * standby restarted first with the lower value would refuse to replay the primary's WAL.
 */
export function loweredStandbyLimits(before: Record<string, string>, after: Record<string, string>, catalog: Map<string, PgSetting & { boot_val?: string | null }>): string[] {
  return standbyLimitParams.filter((n) => {
    const s = catalog.get(n);
    if (!s) return false;
    const value = (v: string | undefined) => {
      const r = normaliseValue(s, v ?? s.boot_val ?? s.setting);
      return r.ok ? Number(r.value) : NaN;
    };
    return value(after[n]) < value(before[n]);
  });
}
