// Rendering pieces every engine shares (pure): labels, owner references, Services, Secrets, and
// the StatefulSet skeleton (updateStrategy OnDelete: only an ops workflow decides when a Pod restarts).
import type { KubernetesObject, V1Container, V1OwnerReference, V1PersistentVolumeClaim, V1Secret, V1Service, V1StatefulSet, V1Volume } from '@kubernetes/client-node';
import type { Database } from '../api/databases.ts';
import type { StorageSpec } from '../api/common.ts';
import { kindInfo } from '../api/kinds.ts';

export const MANAGED_BY = 'opsflow';
export const ROLE_LABEL = 'opsflow.dev/role';
export const COMPONENT_LABEL = 'opsflow.dev/component';
/** Set by an ops workflow to ask the provisioner to leave the database alone (pause handshake). */
export const PAUSE_ANNOTATION = 'opsflow.dev/pause-requested';

export function selectorLabels(db: Database): Record<string, string> {
  return {
    'app.kubernetes.io/name': `${kindInfo(db.kind).plural}.opsflow.dev`,
    'app.kubernetes.io/instance': db.metadata.name ?? '',
  };
}

export function commonLabels(db: Database): Record<string, string> {
  return { ...selectorLabels(db), 'app.kubernetes.io/managed-by': MANAGED_BY };
}

export function ownerReference(db: Database): V1OwnerReference {
  if (!db.metadata.uid || !db.metadata.name) throw new Error('a database without name or uid cannot own objects');
  return { apiVersion: db.apiVersion, kind: db.kind, name: db.metadata.name, uid: db.metadata.uid, controller: true, blockOwnerDeletion: true };
}

export function meta(db: Database, name: string, extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: db.metadata.namespace,
    labels: { ...commonLabels(db), ...extraLabels },
    ownerReferences: [ownerReference(db)],
  };
}

export const authSecretName = (db: Database) => db.spec.authSecret?.name ?? `${db.metadata.name}-auth`;
export const configSecretName = (db: Database) => `${db.metadata.name}-config`;
export const governingServiceName = (db: Database) => `${db.metadata.name}-pods`;

/** Headless Service giving each Pod a stable DNS name; not-ready Pods included so members find each other while starting. */
export function governingService(db: Database, ports: Array<{ name: string; port: number }>): V1Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta(db, governingServiceName(db)),
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: selectorLabels(db), ports: ports.map((p) => ({ ...p, targetPort: p.port })) },
  };
}

export function clientService(db: Database, name: string, selector: Record<string, string>, ports: Array<{ name: string; port: number }>): V1Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta(db, name),
    spec: { type: 'ClusterIP', selector, ports: ports.map((p) => ({ ...p, targetPort: p.port })) },
  };
}

export function configSecret(db: Database, data: Record<string, string>): V1Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(db, configSecretName(db)), type: 'Opaque', stringData: data };
}

/** The generated auth Secret; created once (never re-applied, so the password never changes or leaks). */
export function authSecret(db: Database, username: string, password: string): V1Secret {
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: meta(db, authSecretName(db)),
    type: 'kubernetes.io/basic-auth',
    stringData: { username, password },
  };
}

export function dataClaim(storage: StorageSpec | undefined): V1PersistentVolumeClaim {
  return {
    metadata: { name: 'data' },
    spec: {
      accessModes: storage?.accessModes ?? ['ReadWriteOnce'],
      ...(storage?.storageClassName ? { storageClassName: storage.storageClassName } : {}),
      resources: { requests: { storage: storage?.resources?.requests.storage ?? '1Gi' } },
    },
  };
}

export interface StatefulSetParts {
  name: string;
  replicas: number;
  component?: string;
  containers: V1Container[];
  initContainers?: V1Container[];
  volumes: V1Volume[];
  /** The StatefulSet's own storage: a PVC template for Durable, an emptyDir for Ephemeral. */
  storage?: StorageSpec;
}

export function statefulSet(db: Database, p: StatefulSetParts): V1StatefulSet {
  const componentLabels: Record<string, string> = p.component ? { [COMPONENT_LABEL]: p.component } : {};
  const durable = db.spec.storageType !== 'Ephemeral';
  const wipe = db.spec.deletionPolicy === 'WipeOut' || db.spec.deletionPolicy === 'Delete';
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: meta(db, p.name, componentLabels),
    spec: {
      replicas: p.replicas,
      serviceName: governingServiceName(db),
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: { ...selectorLabels(db), ...componentLabels } },
      template: {
        metadata: { labels: { ...commonLabels(db), ...componentLabels } },
        spec: {
          ...(p.initContainers?.length ? { initContainers: p.initContainers } : {}),
          containers: p.containers,
          volumes: durable ? p.volumes : [...p.volumes, { name: 'data', emptyDir: {} }],
          terminationGracePeriodSeconds: 30,
        },
      },
      ...(durable ? {
        volumeClaimTemplates: [dataClaim(p.storage ?? db.spec.storage)],
        persistentVolumeClaimRetentionPolicy: { whenDeleted: wipe ? 'Delete' : 'Retain', whenScaled: 'Retain' },
      } : {}),
    },
  };
}

/** Env vars every database container gets from the downward API. */
export const podIdentityEnv = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
];

export const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

export type Rendered = KubernetesObject[];
