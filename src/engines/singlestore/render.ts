// The Kubernetes objects of a SingleStore (pure): aggregator and leaf StatefulSets, a headless
// Service and a Service on the master aggregator (ordinal 0 of the aggregators), the config Secret.
import type { V1Container } from '@kubernetes/client-node';
import type { SingleStore } from '../../api/databases.ts';
import type { SingleStoreVersion } from '../../api/catalog.ts';
import {
  authSecretName, clientService, configSecret, configSecretName, governingService, governingServiceName, podIdentityEnv,
  secretEnv, statefulSet, type Rendered,
} from '../common.ts';

export const SDB_PORT = 3306;
export type SingleStoreRole = 'aggregator' | 'leaf';

export const statefulSetName = (db: SingleStore, role: SingleStoreRole) => `${db.metadata.name}-${role}`;
export const masterAggregatorPod = (db: SingleStore) => `${statefulSetName(db, 'aggregator')}-0`;

function container(db: SingleStore, role: SingleStoreRole, image: string): V1Container {
  const ns = db.metadata.namespace ?? 'default';
  return {
    name: 'singlestore',
    image,
    env: [
      ...podIdentityEnv,
      { name: 'NODE_ROLE', value: role },
      { name: 'MASTER_HOST', value: `${masterAggregatorPod(db)}.${governingServiceName(db)}.${ns}.svc` },
      secretEnv('ROOT_USER', authSecretName(db), 'username'),
      secretEnv('ROOT_PASSWORD', authSecretName(db), 'password'),
    ],
    ports: [{ name: 'mysql', containerPort: SDB_PORT }],
    readinessProbe: { tcpSocket: { port: SDB_PORT }, periodSeconds: 2 },
    volumeMounts: [{ name: 'data', mountPath: '/var/lib/memsql' }, { name: 'config', mountPath: '/etc/memsql/conf.d', readOnly: true }],
  };
}

export function renderSingleStore(db: SingleStore, version: SingleStoreVersion, config: Record<string, string>): Rendered {
  const ports = [{ name: 'mysql', port: SDB_PORT }];
  const roles: SingleStoreRole[] = ['aggregator', 'leaf'];
  return [
    configSecret(db, config),
    governingService(db, ports),
    clientService(db, db.metadata.name ?? '', { 'statefulset.kubernetes.io/pod-name': masterAggregatorPod(db) }, ports),
    ...roles.map((role) => statefulSet(db, {
      name: statefulSetName(db, role),
      component: role,
      replicas: db.spec.topology[role].replicas,
      containers: [container(db, role, version.spec.db.image)],
      volumes: [{ name: 'config', secret: { secretName: configSecretName(db) } }],
      storage: db.spec.topology[role].storage,
    })),
  ];
}
