// Whether a catalog version may be updated to another (pure, engine-agnostic): the target must be
// newer, not deprecated, allowed by the current entry's updateConstraints; the same version is Skipped.
import type { VersionSpec } from '../api/catalog.ts';
import { compareVersions, majorOf, satisfies, versionFlavour } from '../api/semver.ts';

export type VersionVerdict =
  | { outcome: 'Proceed'; major: boolean }
  | { outcome: 'Skipped'; reason: string }
  | { outcome: 'Failed'; reason: string };

/** Checks a target against the current version's catalog entry (updateConstraints, downgrade, deprecation). */
export function judgeVersionChange(current: VersionSpec, target: VersionSpec, catalogKind: string): VersionVerdict {
  const from = current.version;
  const to = target.version;
  if (compareVersions(from, to) === 0 && versionFlavour(from) !== versionFlavour(to)) {
    return { outcome: 'Failed', reason: `spec.updateVersion.targetVersion: ${to} is ${from} in another image flavour, not a newer version` };
  }
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
