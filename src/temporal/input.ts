// The workflow input for an OpsRequest, built the same way by the watcher and the CLI. Secret values
// in the spec (ProxySQL mysqlUsers passwords) are replaced by a marker: workflow histories never hold
// them; the activity that needs one reads it from the OpsRequest itself.
import type { OpsInput } from '../workflows/shared.ts';

export const REDACTED = '<redacted: read from the OpsRequest>';

type OpsObject = { metadata?: { namespace?: string; name?: string; uid?: string }; spec: OpsInput['spec'] };

/** Pure: a copy of the spec without secret values. */
export function redactSpec(spec: OpsInput['spec']): OpsInput['spec'] {
  const cfg = spec.configuration as { mysqlUsers?: { users?: Array<Record<string, unknown>> } } | undefined;
  if (!cfg?.mysqlUsers?.users) return spec;
  const users = cfg.mysqlUsers.users.map((u) => ('password' in u ? { ...u, password: REDACTED } : u));
  return { ...spec, configuration: { ...cfg, mysqlUsers: { ...cfg.mysqlUsers, users } } };
}

export function opsInputFrom(kind: OpsInput['kind'], obj: OpsObject): OpsInput {
  return { kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '', uid: obj.metadata?.uid ?? '', spec: redactSpec(obj.spec) };
}
