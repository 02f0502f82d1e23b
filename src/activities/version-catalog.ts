// The catalog side of every UpdateVersion validation: read the current and the target catalog entry
// (PostgresVersion, SingleStoreVersion, ProxySQLVersion) and judge the change. Reads only.
import { VersionSpecSchema, type VersionSpec } from '../api/catalog.ts';
import { judgeVersionChange } from '../engines/version-change.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { getClusterCustom } from '../k8s/resources.ts';

export type { CatalogKind } from '../api/registry.ts';
import type { CatalogKind } from '../api/registry.ts';

export type CatalogVerdict =
  | { outcome: 'Proceed'; current: VersionSpec; next: VersionSpec; major: boolean }
  | { outcome: 'Failed' | 'Skipped'; reason: string };

export async function catalogEntry(kube: Kube, kind: CatalogKind, version: string): Promise<VersionSpec | undefined> {
  try {
    const obj = await getClusterCustom<{ spec: unknown }>(kube, kind, version);
    return VersionSpecSchema.parse(obj.spec);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The database's current version → spec.updateVersion.targetVersion, against the catalog. */
export async function judgeCatalogUpdate(kube: Kube, kind: CatalogKind, currentVersion: string, target: string | undefined): Promise<CatalogVerdict> {
  if (!target) return { outcome: 'Failed', reason: 'spec.updateVersion.targetVersion is required' };
  const current = await catalogEntry(kube, kind, currentVersion);
  if (!current) return { outcome: 'Failed', reason: `the database's current version ${currentVersion} is not in the ${kind} catalog` };
  const next = await catalogEntry(kube, kind, target);
  if (!next) return { outcome: 'Failed', reason: `spec.updateVersion.targetVersion: ${target} is not in the ${kind} catalog` };
  const verdict = judgeVersionChange(current, next, kind);
  return verdict.outcome === 'Proceed' ? { outcome: 'Proceed', current, next, major: verdict.major } : verdict;
}
