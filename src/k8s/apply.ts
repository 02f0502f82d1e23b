// Server-side apply with opsflow's field manager (client-node 2.x defaults to JSON Patch, so the
// content type is set explicitly).
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from './client.ts';

export const FIELD_MANAGER = 'opsflow';

export async function serverSideApply<T extends KubernetesObject>(kube: Kube, obj: T, fieldManager = FIELD_MANAGER): Promise<T> {
  return (await kube.objects.patch(
    obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply)) as T;
}

export async function mergePatch<T extends KubernetesObject>(kube: Kube, obj: T): Promise<T> {
  return (await kube.objects.patch(obj, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch)) as T;
}
