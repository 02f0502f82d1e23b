// SingleStore configuration (pure): `name = value` lines of *.cnf files (MySQL option-file syntax),
// merged parameter by parameter over labelled layers (defaults < configSecret < applyConfig), rendered
// back as one file, and a parameter checked against what a node reports (SHOW VARIABLES).
export type SdbParams = Record<string, string>;

/** The file of a custom-config Secret opsflow writes (the merged custom parameters of one role). */
export const CUSTOM_CONFIG_KEY = 'custom.cnf';
/** The file of the rendered per-role config Secret the Pods mount (/etc/memsql/conf.d). */
export const RENDERED_CONFIG_KEY = 'opsflow.cnf';

/** Variable names as the server reports them: lower case, `-` written `_`. */
export const normalizeName = (n: string): string => n.trim().toLowerCase().replace(/-/g, '_');

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' || c === ';') return line.slice(0, i);
  }
  return line;
}

const unquote = (v: string) => (/^(['"]).*\1$/.test(v) && v.length >= 2 ? v.slice(1, -1) : v);

/** Parses one .cnf file; throws naming the line that is not `name = value`. */
export function parseCnf(text: string): SdbParams {
  const out: SdbParams = {};
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (!line || /^\[[^\]]*\]$/.test(line)) return;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    const value = m?.[2] === undefined ? '' : unquote(m[2].trim());
    if (!m?.[1] || value === '') throw new Error(`line ${i + 1}: "${raw.trim()}" is not "name = value"`);
    out[normalizeName(m[1])] = value;
  });
  return out;
}

export interface ConfigLayer {
  /** The field the layer comes from, e.g. spec.configuration.leaf.applyConfig; used in every message. */
  field: string;
  /** File name → content (only *.cnf files), as in a config Secret or applyConfig. */
  files: Record<string, string>;
}

export interface MergedConfig {
  params: SdbParams;
  /** Where each parameter's value comes from: the field, with the file, e.g. spec.configuration.leaf.applyConfig["sdb.cnf"]. */
  origin: Record<string, string>;
}

/** Merges layers in order (later wins, parameter by parameter); files within a layer by name. Throws `<field>["file"]: problem`. */
export function mergeLayers(layers: readonly ConfigLayer[]): MergedConfig {
  const params: SdbParams = {};
  const origin: Record<string, string> = {};
  for (const layer of layers) {
    for (const file of Object.keys(layer.files).sort()) {
      const where = `${layer.field}["${file}"]`;
      if (!file.endsWith('.cnf')) throw new Error(`${where}: only *.cnf files ("name = value" lines) are SingleStore configuration`);
      let parsed: SdbParams;
      try {
        parsed = parseCnf(layer.files[file] ?? '');
      } catch (e) {
        throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      for (const [k, v] of Object.entries(parsed)) {
        params[k] = v;
        origin[k] = where;
      }
    }
  }
  return { params, origin };
}

export interface RoleConfigChange {
  /** The role's current custom config (spec.topology.<role>.configSecret, else spec.configSecret), with its field. */
  current?: ConfigLayer;
  removeCustomConfig?: boolean;
  /** The request's configSecret data, with its field. */
  configSecret?: ConfigLayer;
  /** The request's applyConfig, with its field. */
  applyConfig?: ConfigLayer;
}

export interface RoleConfigPlan extends MergedConfig {
  /** Parameters of the current custom config the new one no longer sets (removeCustomConfig). */
  dropped: string[];
  /** Parameters whose custom value is new or different. */
  changed: string[];
}

/** The role's new custom config: current (unless removeCustomConfig) < configSecret < applyConfig. */
export function planRoleConfig(c: RoleConfigChange): RoleConfigPlan {
  const before = c.current ? mergeLayers([c.current]).params : {};
  const merged = mergeLayers([...(c.current && !c.removeCustomConfig ? [c.current] : []), ...(c.configSecret ? [c.configSecret] : []), ...(c.applyConfig ? [c.applyConfig] : [])]);
  const dropped = Object.keys(before).filter((k) => !(k in merged.params)).sort();
  const changed = Object.keys(merged.params).filter((k) => !(k in before) || !sameValue(before[k] ?? '', merged.params[k] ?? '')).sort();
  return { ...merged, dropped, changed };
}

function quoteIfNeeded(v: string): string {
  return /^[^\s#;'"]([^#;'"]*[^\s#;'"])?$/.test(v) ? v : `"${v.replace(/"/g, '')}"`;
}

/** One .cnf file with the parameters in name order, under a comment saying where it comes from. */
export function renderCnf(params: SdbParams, header: string): string {
  const lines = Object.keys(params).sort().map((k) => `${k} = ${quoteIfNeeded(params[k] ?? '')}`);
  return `# ${header}\n${lines.join('\n')}${lines.length ? '\n' : ''}`;
}

const isInt = (v: string) => /^[+-]?\d+$/.test(v.trim());
const BOOLEANS: Record<string, boolean> = { on: true, off: false, true: true, false: false, '1': true, '0': false, yes: true, no: false };
const isBoolWord = (v: string) => ['on', 'off'].includes(v.trim().toLowerCase());

/**
 * Whether a value may be given to a variable the node reports as `reported` (undefined: the node
 * does not know the variable). The type is the reported value's: an integer takes integers, ON/OFF
 * takes booleans. Returns the problem, or undefined when fine.
 */
export function valueProblem(name: string, value: string, reported: string | undefined): string | undefined {
  if (reported === undefined) return `unknown variable ${name}`;
  if (isInt(reported) && !isInt(value)) return `${name} takes an integer (it is ${reported}), not "${value}"`;
  if (isBoolWord(reported) && !(value.trim().toLowerCase() in BOOLEANS)) return `${name} takes ON or OFF (it is ${reported}), not "${value}"`;
  return undefined;
}

/** Whether a node's reported value is the configured one (integers by value, ON/OFF by meaning, text case-insensitively). */
export function sameValue(reported: string, wanted: string): boolean {
  const a = reported.trim();
  const b = wanted.trim();
  if (isInt(a) && isInt(b)) return BigInt(a) === BigInt(b);
  const ba = BOOLEANS[a.toLowerCase()];
  const bb = BOOLEANS[b.toLowerCase()];
  if (ba !== undefined && bb !== undefined && (isBoolWord(a) || isBoolWord(b))) return ba === bb;
  return a.toLowerCase() === b.toLowerCase();
}
