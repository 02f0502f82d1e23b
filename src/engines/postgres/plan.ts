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
