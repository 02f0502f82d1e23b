// Postgres Reconfigure planning (pure), KubeDB's semantics: the new custom config is the current one
// (or nothing, with removeCustomConfig), replaced by the request's configSecret when given, with
// applyConfig's `user.conf` merged on top parameter by parameter. Each parameter remembers where it
// came from, so a validation error names the field.
import type { ConfigurationSpec } from '../../api/opsrequests.ts';
import { mergeParams, parseConf, USER_CONF_KEY, type PgParams } from './config.ts';
import { policyProblems } from './parameter-policy.ts';

export interface ConfigSources {
  /** The database's current custom config (its spec.configSecret), if any. */
  current?: { secret: string; data: Record<string, string> };
  /** The Secret the request names in spec.configuration.configSecret, read from the cluster. */
  requested?: { secret: string; data: Record<string, string> };
}

export type UserConfigPlan =
  | { ok: true; params: PgParams; origin: Record<string, string> }
  | { ok: false; problems: string[] };

const APPLY_FIELD = `spec.configuration.applyConfig["${USER_CONF_KEY}"]`;

/** Parses one config text and applies the parameter policy, naming the field in each problem. */
function parseAt(text: string, field: string): PgParams | string[] {
  let params: PgParams;
  try {
    params = parseConf(text);
  } catch (e) {
    return [`${field}: ${e instanceof Error ? e.message : String(e)}`];
  }
  const refused = policyProblems(params, field);
  return refused.length ? refused : params;
}

export function planUserConfig(spec: ConfigurationSpec, sources: ConfigSources): UserConfigPlan {
  const problems: string[] = [];
  if (!spec.configSecret && !spec.applyConfig && !spec.removeCustomConfig) {
    return { ok: false, problems: ['spec.configuration: give configSecret, applyConfig or removeCustomConfig'] };
  }
  for (const key of Object.keys(spec.applyConfig ?? {})) {
    if (key !== USER_CONF_KEY) problems.push(`spec.configuration.applyConfig: key "${key}" is not a Postgres config file (use "${USER_CONF_KEY}")`);
  }
  const layers: Array<{ params: PgParams; origin: string }> = [];
  if (sources.current && !spec.removeCustomConfig && !spec.configSecret) {
    const text = sources.current.data[USER_CONF_KEY];
    const p = text === undefined ? {} : parseAt(text, `the current custom config (Secret ${sources.current.secret}, key ${USER_CONF_KEY})`);
    if (Array.isArray(p)) problems.push(...p);
    else layers.push({ params: p, origin: `the current custom config (Secret ${sources.current.secret})` });
  }
  if (spec.configSecret) {
    const field = `spec.configuration.configSecret (Secret ${spec.configSecret.name})`;
    const text = sources.requested?.data[USER_CONF_KEY];
    if (!sources.requested) problems.push(`${field}: not found`);
    else if (text === undefined) problems.push(`${field}: has no key ${USER_CONF_KEY}`);
    else {
      const p = parseAt(text, `${field}, key ${USER_CONF_KEY}`);
      if (Array.isArray(p)) problems.push(...p);
      else layers.push({ params: p, origin: field });
    }
  }
  const applied = spec.applyConfig?.[USER_CONF_KEY];
  if (applied !== undefined) {
    const p = parseAt(applied, APPLY_FIELD);
    if (Array.isArray(p)) problems.push(...p);
    else layers.push({ params: p, origin: APPLY_FIELD });
  }
  if (problems.length) return { ok: false, problems };
  const origin: Record<string, string> = {};
  for (const l of layers) for (const k of Object.keys(l.params)) origin[k] = l.origin;
  return { ok: true, params: mergeParams(...layers.map((l) => l.params)), origin };
}
