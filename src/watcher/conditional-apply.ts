// The provisioner's writes of a database's children are conditional on what it read, so a stale
// reconcile (a slow one, or a deposed leader's late write) can never undo an operation:
//   1. read each child's resourceVersion,
//   2. re-read the database and require the resourceVersion the render was made from
//      (so it is still not paused: an operation pauses before it touches anything),
//   3. server-side apply each child with the resourceVersion from step 1 as a precondition.
// An operation changes a child only after its pause was acknowledged, i.e. after step 2; so if it
// changed the child, it did so after step 1, and the apply fails with 409 Conflict (then retried
// by the work queue, which sees the pause).
import type { KubernetesObject } from '@kubernetes/client-node';
import { serverSideApply } from '../k8s/apply.ts';
import { isConflict, isNotFound, type Kube } from '../k8s/client.ts';
import { getCustom, type CustomRef } from '../k8s/resources.ts';

export class StaleReadError extends Error {
  constructor(what: string) {
    super(`${what} changed since it was read; reconciling again`);
    this.name = 'StaleReadError';
  }
}

async function currentVersion(kube: Kube, obj: KubernetesObject): Promise<string | undefined> {
  try {
    return (await kube.objects.read({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace ?? '' } })).metadata?.resourceVersion;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Pure: the object to apply, with the precondition (none when the child does not exist yet). */
export function withPrecondition<T extends KubernetesObject>(obj: T, resourceVersion: string | undefined): T {
  return resourceVersion ? { ...obj, metadata: { ...obj.metadata, resourceVersion } } : obj;
}

/**
 * Applies the children conditionally. A 409 (e.g. the StatefulSet controller updated a status
 * meanwhile) is retried a few times, each time re-doing all three steps; a database that changed
 * since the render throws StaleReadError (the caller reconciles again from a fresh read).
 */
export async function applyChildren(kube: Kube, db: CustomRef & { resourceVersion?: string }, children: KubernetesObject[], attempts = 4): Promise<void> {
  let pending = children;
  for (let attempt = 1; ; attempt++) {
    const versions: Array<string | undefined> = [];
    for (const obj of pending) versions.push(await currentVersion(kube, obj));
    const now = await getCustom<{ metadata?: { resourceVersion?: string } }>(kube, db);
    if (db.resourceVersion && now.metadata?.resourceVersion !== db.resourceVersion) throw new StaleReadError(`${db.kind} ${db.namespace}/${db.name}`);
    try {
      // Applied children are dropped from `pending`, so a retry re-applies only the rest.
      while (pending[0]) {
        await serverSideApply(kube, withPrecondition(pending[0], versions.shift()));
        pending = pending.slice(1);
      }
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= attempts) throw e;
    }
  }
}
