// Postgres UpdateVersion planning (pure): is the target allowed, is it a major upgrade, and in
// which order are the Pods rolled.
import type { VersionSpec } from '../../api/catalog.ts';
import { compareVersions, majorOf, satisfies } from '../../api/semver.ts';

export type VersionVerdict =
  | { outcome: 'Proceed'; major: boolean }
  | { outcome: 'Skipped'; reason: string }
  | { outcome: 'Failed'; reason: string };

/** Checks a target against the current version's catalog entry (updateConstraints, downgrade, deprecation). */
export function judgeVersionChange(current: VersionSpec, target: VersionSpec, catalogKind: string): VersionVerdict {
  const from = current.version;
  const to = target.version;
  if (compareVersions(from, to) === 0) return { outcome: 'Skipped', reason: `the database already runs version ${to}` };
  if (compareVersions(to, from) < 0) return { outcome: 'Failed', reason: `spec.updateVersion.targetVersion: ${to} is older than the current version ${from}; downgrades are not allowed` };
  if (target.deprecated) return { outcome: 'Failed', reason: `spec.updateVersion.targetVersion: ${catalogKind} ${to} is deprecated` };
  const allow = current.updateConstraints?.allowlist;
  if (allow && allow.length > 0 && !allow.some((r) => satisfies(to, r))) {
    return { outcome: 'Failed', reason: `spec.updateVersion.targetVersion: ${to} is not allowed by ${catalogKind} ${from} updateConstraints.allowlist [${allow.join('; ')}]` };
  }
  const deny = current.updateConstraints?.denylist?.find((r) => satisfies(to, r));
  if (deny) return { outcome: 'Failed', reason: `spec.updateVersion.targetVersion: ${to} is denied by ${catalogKind} ${from} updateConstraints.denylist "${deny}"` };
  return { outcome: 'Proceed', major: majorOf(to) !== majorOf(from) };
}

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
