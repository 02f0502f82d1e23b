// Reading and writing opsflow's custom resources, with a conflict-retrying status update.
import { GROUP, VERSION } from '../api/common.ts';
import { kindInfo } from '../api/kinds.ts';
import { isConflict, type Kube } from './client.ts';

export interface CustomRef {
  kind: string;
  namespace: string;
  name: string;
}

interface Obj {
  metadata?: { resourceVersion?: string; uid?: string; generation?: number };
  status?: unknown;
}

export async function getCustom<T>(kube: Kube, ref: CustomRef): Promise<T> {
  const plural = kindInfo(ref.kind).plural;
  return (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ref.namespace, name: ref.name })) as T;
}

export async function getClusterCustom<T>(kube: Kube, kind: string, name: string): Promise<T> {
  const plural = kindInfo(kind).plural;
  return (await kube.custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })) as T;
}

export async function listCustom<T>(kube: Kube, kind: string, namespace?: string): Promise<T[]> {
  const info = kindInfo(kind);
  const res = (namespace && info.scope === 'Namespaced'
    ? await kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: info.plural, namespace })
    : await kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: info.plural })) as { items: T[] };
  return res.items;
}

/**
 * Applies a pure status change to the latest object and writes it with optimistic concurrency,
 * retrying on conflict. Returns the new status, or undefined when the change was a no-op.
 */
export async function updateStatus<T extends Obj, S>(
  kube: Kube, ref: CustomRef, change: (obj: T) => S | undefined, attempts = 8,
): Promise<S | undefined> {
  const plural = kindInfo(ref.kind).plural;
  for (let i = 0; ; i++) {
    const obj = await getCustom<T>(kube, ref);
    const next = change(obj);
    if (next === undefined || JSON.stringify(next) === JSON.stringify(obj.status)) return undefined;
    try {
      await kube.custom.replaceNamespacedCustomObjectStatus({
        group: GROUP, version: VERSION, plural, namespace: ref.namespace, name: ref.name,
        body: { ...obj, status: next },
      });
      return next;
    } catch (e) {
      if (!isConflict(e) || i >= attempts) throw e;
    }
  }
}
