// Postgres rollout planning (pure): in which order the Pods are rolled. Whether a target version is
// allowed is the engine-agnostic judgement in ../version-change.ts.

/**
 * Pod order. Minor: standbys first (highest ordinal first), the primary last, so the primary
 * restarts once, onto the new version. Major: the primary first (pg_upgrade runs there), then the
 * standbys, which re-clone from the upgraded primary.
 */
export function rolloutOrder(podNames: string[], primary: string, major: boolean): string[] {
  const standbys = podNames.filter((p) => p !== primary).sort((a, b) => ordinal(b) - ordinal(a));
  return major ? [primary, ...standbys.reverse()] : [...standbys, primary];
}

const ordinal = (pod: string) => Number(/-(\d+)$/.exec(pod)?.[1] ?? 0);

export type PrimaryUpdate =
  | { method: 'Switchover'; target: string }
  | { method: 'Restart'; reason: string };

/**
 * How a rolling restart updates the primary: a switchover to the preferred member (when it is a
 * standby) or to the lowest-ordinal standby; a restart in place when asked for, when the preferred
 * member is the primary itself, or when there is no standby. A preferred member that does not exist
 * is a problem naming the field.
 */
export function planPrimaryUpdate(podNames: string[], primary: string, method: 'Switchover' | 'Restart' = 'Switchover', preferred?: string): PrimaryUpdate | { problem: string } {
  if (preferred !== undefined && !podNames.includes(preferred)) {
    return { problem: `spec.preferredPrimary: "${preferred}" is not a member (members: ${podNames.join(', ')})` };
  }
  if (method === 'Restart') return { method: 'Restart', reason: 'spec.primaryUpdateMethod is Restart' };
  if (preferred === primary) return { method: 'Restart', reason: `spec.preferredPrimary is the primary ${primary}: it stays primary` };
  const standbys = podNames.filter((p) => p !== primary).sort((a, b) => ordinal(a) - ordinal(b));
  const target = preferred ?? standbys[0];
  if (!target) return { method: 'Restart', reason: 'no standby to switch over to' };
  return { method: 'Switchover', target };
}
