// Writes status.applied of a database (what its running StatefulSets were rendered from): by the
// provisioner on the first provision, and by the workflows when they change the version or config.
import type { AppliedState, DatabaseStatus } from '../api/common.ts';
import { updateStatus, type CustomRef } from './resources.ts';
import type { Kube } from './client.ts';

type DbObject = { metadata?: { resourceVersion?: string }; spec?: Record<string, unknown>; status?: DatabaseStatus };

/** Changes status.applied with `change` (given the current applied state, if any, and the spec); conflict-retrying. */
export async function recordApplied(kube: Kube, ref: CustomRef, change: (cur: AppliedState | undefined, spec: Record<string, unknown>) => AppliedState | undefined): Promise<void> {
  await updateStatus<DbObject, DatabaseStatus>(kube, ref, (obj) => {
    const next = change(obj.status?.applied, obj.spec ?? {});
    return next ? { ...obj.status, applied: next } : undefined;
  });
}

/** Pure: the applied state with one config Secret field set (or removed, with undefined). */
export function withConfigSecret(cur: AppliedState, field: string, name: string | undefined): AppliedState {
  const configSecrets = { ...cur.configSecrets };
  if (name) configSecrets[field] = name;
  else delete configSecrets[field];
  return { ...cur, configSecrets };
}
