// Local volume provisioner of the dev cluster (dev/test infrastructure, not shipped): every
// PersistentVolumeClaim of a StorageClass whose provisioner is this one (`local-path`, the default,
// and `standard`, which manifests written for kind/minikube name; any other class a user creates
// with provisioner opsflow.dev/local-path too) gets a PersistentVolume backed by a local directory,
// which outlives Pod recreation like a real volume and is removed when released. Claims of other
// classes are left alone, as a cluster without their provisioner would (they stay Pending).
// Expansion works as with a CSI driver that supports it (volume-expansion.ts): a grown claim of a
// class with allowVolumeExpansion gets its PV's capacity grown (controller expansion); the claim's
// status.capacity follows under a running Pod (online), else when a Pod next mounts it (the runtime
// finishes it, FileSystemResizePending meanwhile). The size is bookkeeping: a local directory has no quota.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StorageV1Api, type KubernetesObject, type V1PersistentVolume, type V1PersistentVolumeClaim, type V1StorageClass } from '@kubernetes/client-node';
import { isApiError, isNotFound, type Kube } from '../../src/k8s/client.ts';
import { ResilientInformer } from '../../src/k8s/informer.ts';
import type { Logger } from '../../src/logger.ts';
import { expandClaim } from './volume-expansion.ts';

export const STORAGE_CLASS = 'local-path';
export const PROVISIONER = 'opsflow.dev/local-path';

export function volumeDir(root: string, pvName: string): string {
  return join(root, pvName);
}

const storageClass = (name: string, isDefault: boolean) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': String(isDefault) } },
  provisioner: PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
  allowVolumeExpansion: true,
});

/** The classes the local cluster ships: `local-path` (default) and `standard` (kind's and minikube's name). */
export const storageClassManifests = [storageClass(STORAGE_CLASS, true), storageClass('standard', false)];

/** Pure: whether this provisioner serves a class (by its provisioner field). */
export const servesClass = (sc: { provisioner?: string } | undefined): boolean => sc?.provisioner === PROVISIONER;

export class LocalVolumeProvisioner {
  private informers: Array<ResilientInformer<KubernetesObject>> = [];

  private readonly storage: StorageV1Api;

  constructor(private readonly kube: Kube, private readonly root: string, private readonly log: Logger) {
    this.storage = kube.kc.makeApiClient(StorageV1Api);
  }

  async start(): Promise<void> {
    const { kube } = this;
    const pvcs = new ResilientInformer<V1PersistentVolumeClaim>({
      kc: kube.kc, path: '/api/v1/persistentvolumeclaims',
      list: () => kube.core.listPersistentVolumeClaimForAllNamespaces() as never,
      resyncMs: 5_000,
      onEvent: (type, pvc) => {
        if (type === 'delete') return;
        void this.provision(pvc).catch((e: unknown) => this.log.warn('provision failed', { error: String(e) }));
        void expandClaim(this.kube, this.storage, pvc, this.log).catch((e: unknown) => this.log.warn('expansion failed', { error: String(e) }));
      },
      onError: (e) => this.log.warn('pvc watch failed; restarting', { error: String(e) }),
    });
    const pvs = new ResilientInformer<V1PersistentVolume>({
      kc: kube.kc, path: '/api/v1/persistentvolumes',
      list: () => kube.core.listPersistentVolume() as never,
      resyncMs: 5_000,
      onEvent: (type, pv) => { if (type !== 'delete') void this.reclaim(pv).catch((e: unknown) => this.log.warn('reclaim failed', { error: String(e) })); },
      onError: (e) => this.log.warn('pv watch failed; restarting', { error: String(e) }),
    });
    this.informers = [pvcs as ResilientInformer<KubernetesObject>, pvs as ResilientInformer<KubernetesObject>];
    await Promise.all(this.informers.map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async provision(pvc: V1PersistentVolumeClaim): Promise<void> {
    if (pvc.status?.phase !== 'Pending' || pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp) return;
    const className = pvc.spec?.storageClassName ?? '';
    if (!className) return;
    let sc: V1StorageClass | undefined;
    try {
      sc = await this.storage.readStorageClass({ name: className });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!servesClass(sc)) return;
    const uid = pvc.metadata?.uid ?? '';
    const name = `pvc-${uid}`;
    const dir = volumeDir(this.root, name);
    mkdirSync(dir, { recursive: true });
    const pv: V1PersistentVolume = {
      apiVersion: 'v1', kind: 'PersistentVolume',
      metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
      spec: {
        capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: sc?.reclaimPolicy === 'Retain' ? 'Retain' : 'Delete',
        storageClassName: className,
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata?.namespace, name: pvc.metadata?.name, uid },
      },
    };
    try {
      await this.kube.core.createPersistentVolume({ body: pv });
      this.log.info('provisioned volume', { pvc: `${pvc.metadata?.namespace}/${pvc.metadata?.name}`, dir });
    } catch (e) {
      if (!isApiError(e, 409)) throw e;
    }
  }

  private async reclaim(pv: V1PersistentVolume): Promise<void> {
    if (pv.status?.phase !== 'Released' || pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) return;
    const name = pv.metadata?.name ?? '';
    rmSync(volumeDir(this.root, name), { recursive: true, force: true });
    await this.kube.core.deletePersistentVolume({ name }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    this.log.info('reclaimed volume', { pv: name });
  }
}
