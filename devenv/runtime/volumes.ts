// Local volume provisioner of the dev cluster (dev/test infrastructure, not shipped): every
// PersistentVolumeClaim of the `local-path` StorageClass gets a PersistentVolume backed by a local
// directory, which outlives Pod recreation like a real volume and is removed when released.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { isApiError, isNotFound, type Kube } from '../../src/k8s/client.ts';
import { ResilientInformer } from '../../src/k8s/informer.ts';
import type { Logger } from '../../src/logger.ts';

export const STORAGE_CLASS = 'local-path';
export const PROVISIONER = 'opsflow.dev/local-path';

export function volumeDir(root: string, pvName: string): string {
  return join(root, pvName);
}

export const storageClassManifest = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
};

export class LocalVolumeProvisioner {
  private informers: Array<ResilientInformer<KubernetesObject>> = [];

  constructor(private readonly kube: Kube, private readonly root: string, private readonly log: Logger) {}

  async start(): Promise<void> {
    const { kube } = this;
    const pvcs = new ResilientInformer<V1PersistentVolumeClaim>({
      kc: kube.kc, path: '/api/v1/persistentvolumeclaims',
      list: () => kube.core.listPersistentVolumeClaimForAllNamespaces() as never,
      resyncMs: 5_000,
      onEvent: (type, pvc) => { if (type !== 'delete') void this.provision(pvc).catch((e: unknown) => this.log.warn('provision failed', { error: String(e) })); },
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
    if ((pvc.spec?.storageClassName ?? '') !== STORAGE_CLASS) return;
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
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: STORAGE_CLASS,
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
