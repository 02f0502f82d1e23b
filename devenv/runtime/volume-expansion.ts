// Volume expansion in the local cluster, the way a CSI driver with online and offline expansion
// does it (dev/test infrastructure). Controller side (the provisioner): a bound claim of this
// provisioner whose request is above its PV's capacity, in a class with allowVolumeExpansion, gets
// the PV's capacity raised. Node side: with a running Pod mounting the claim, the claim's
// status.capacity follows at once (online); without one, the claim keeps its old capacity with the
// FileSystemResizePending condition until a Pod mounts it (finishNodeExpansion, called by the
// runtime as it mounts volumes, like the kubelet's NodeExpandVolume). A class without
// allowVolumeExpansion never gets here: the API server refuses the grown request.
import type { StorageV1Api, V1PersistentVolume, V1PersistentVolumeClaim, V1PersistentVolumeClaimCondition } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { compareQuantities } from '../../src/api/quantity.ts';
import { isApiError, isNotFound, type Kube } from '../../src/k8s/client.ts';
import type { Logger } from '../../src/logger.ts';

const PROVISIONED_BY = 'opsflow.dev/local-path';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const RESIZE_PENDING = 'FileSystemResizePending';

const requested = (pvc: V1PersistentVolumeClaim) => pvc.spec?.resources?.requests?.storage;
const grown = (from: string | undefined, to: string | undefined): boolean => !!from && !!to && compareQuantities(to, from) > 0;

async function claimInUse(kube: Kube, pvc: V1PersistentVolumeClaim): Promise<boolean> {
  const pods = (await kube.core.listNamespacedPod({ namespace: pvc.metadata?.namespace ?? '' })).items;
  return pods.some((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp
    && (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata?.name));
}

/** Finished (capacity given) or pending; a pending mark is conditional on the claim read (a finish meanwhile wins). */
async function writeClaimStatus(kube: Kube, pvc: V1PersistentVolumeClaim, capacity: string | undefined): Promise<void> {
  const conditions: V1PersistentVolumeClaimCondition[] = capacity
    ? []
    : [{ type: RESIZE_PENDING, status: 'True', message: 'Waiting for a Pod to mount the volume to finish the file system resize', lastTransitionTime: new Date() }];
  const size = requested(pvc);
  await kube.core.patchNamespacedPersistentVolumeClaimStatus({
    name: pvc.metadata?.name ?? '', namespace: pvc.metadata?.namespace ?? '',
    body: {
      ...(capacity ? {} : { metadata: { resourceVersion: pvc.metadata?.resourceVersion } }),
      status: { ...(capacity ? { capacity: { storage: capacity } } : {}), ...(size ? { allocatedResources: { storage: size } } : {}), conditions },
    },
  }, mergePatch);
}

/** Controller side, for a claim event: grows the PV, then finishes at once when a running Pod uses the claim. */
export async function expandClaim(kube: Kube, storage: StorageV1Api, pvc: V1PersistentVolumeClaim, log: Logger): Promise<void> {
  const want = requested(pvc);
  const pvName = pvc.spec?.volumeName;
  if (pvc.status?.phase !== 'Bound' || !pvName || !grown(pvc.status.capacity?.storage, want)) return;
  let pv: V1PersistentVolume;
  try {
    pv = await kube.core.readPersistentVolume({ name: pvName });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  if (pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONED_BY) return;
  const sc = await storage.readStorageClass({ name: pvc.spec?.storageClassName ?? '' }).catch(() => undefined);
  if (!sc?.allowVolumeExpansion) return; // the API server refuses such a request; nothing to do
  if (grown(pv.spec?.capacity?.storage, want)) {
    await kube.core.patchPersistentVolume({ name: pvName, body: { spec: { capacity: { storage: want } } } }, mergePatch);
    log.info('volume expanded (controller)', { pv: pvName, size: want });
  }
  const online = await claimInUse(kube, pvc);
  const pending = pvc.status.conditions?.some((c) => c.type === RESIZE_PENDING) ?? false;
  if (online) await writeClaimStatus(kube, pvc, want);
  else if (!pending) await writeClaimStatus(kube, pvc, undefined).catch((e: unknown) => { if (!isApiError(e, 409)) throw e; });
  if (online) log.info('volume expanded online', { pvc: `${pvc.metadata?.namespace}/${pvc.metadata?.name}`, size: want });
}

/** Node side, as a Pod mounts the claim: a pending resize is finished (status.capacity = the PV's capacity). */
export async function finishNodeExpansion(kube: Kube, pvc: V1PersistentVolumeClaim, pv: V1PersistentVolume, log: Logger): Promise<void> {
  const pvSize = pv.spec?.capacity?.storage;
  if (!grown(pvc.status?.capacity?.storage, pvSize)) return;
  await writeClaimStatus(kube, pvc, pvSize);
  log.info('volume expanded at mount (offline)', { pvc: `${pvc.metadata?.namespace}/${pvc.metadata?.name}`, size: pvSize });
}
