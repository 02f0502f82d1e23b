// The Kubernetes objects of a SingleStore (pure): aggregator and leaf StatefulSets, a headless
// Service and a Service on the master aggregator (ordinal 0 of the aggregators), and one config
// Secret per role (`<db>-<role>-config`, mounted at /etc/memsql/conf.d), rendered from the role's
// custom config: spec.topology.<role>.configSecret when set, else spec.configSecret.
import type { V1Container, V1Secret } from '@kubernetes/client-node';
import type { SingleStore } from '../../api/databases.ts';
import type { SingleStoreVersion } from '../../api/catalog.ts';
import {
  authSecretName, clientService, governingService, governingServiceName, meta, podIdentityEnv,
  secretEnv, statefulSet, type Rendered,
} from '../common.ts';
import { mergeLayers, RENDERED_CONFIG_KEY, renderCnf } from './config.ts';
import { renderedResources } from '../resources.ts';

export const SDB_PORT = 3306;
export type SingleStoreRole = 'aggregator' | 'leaf';

export const statefulSetName = (db: SingleStore, role: SingleStoreRole) => `${db.metadata.name}-${role}`;
export const masterAggregatorPod = (db: SingleStore) => `${statefulSetName(db, 'aggregator')}-0`;
/** The rendered config Secret a role's Pods mount. */
export const roleConfigSecretName = (db: SingleStore, role: SingleStoreRole) => `${db.metadata.name}-${role}-config`;
/** The custom-config Secret a Reconfigure writes for a role (spec.topology.<role>.configSecret then names it). */
export const customConfigSecretName = (db: SingleStore, role: SingleStoreRole) => `${db.metadata.name}-${role}-custom-config`;

/** The Secret (and its field) holding a role's custom config, if any: the role's own, else the database's. */
export function customConfigRef(db: SingleStore, role: SingleStoreRole): { field: string; name: string } | undefined {
  const own = db.spec.topology[role].configSecret;
  if (own) return { field: `spec.topology.${role}.configSecret`, name: own.name };
  return db.spec.configSecret ? { field: 'spec.configSecret', name: db.spec.configSecret.name } : undefined;
}

/**
 * A role's rendered config Secret from the data of its custom-config Secret (customConfigRef), merged
 * parameter by parameter into one file. Throws `<field>["file"]: problem` for a bad file.
 */
export function roleConfigSecret(db: SingleStore, role: SingleStoreRole, custom: Record<string, string> | undefined): V1Secret {
  const ref = customConfigRef(db, role);
  const { params } = mergeLayers(ref && custom ? [{ field: ref.field, files: custom }] : []);
  const header = `rendered by opsflow for the ${role} nodes of SingleStore ${db.metadata.name}${ref ? ` from ${ref.field} (Secret ${ref.name})` : ''}`;
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(db, roleConfigSecretName(db, role)), type: 'Opaque', stringData: { [RENDERED_CONFIG_KEY]: renderCnf(params, header) } };
}

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
    ...renderedResources(db.spec.topology[role].podTemplate, 'singlestore'),
    volumeMounts: [{ name: 'data', mountPath: '/var/lib/memsql' }, { name: 'config', mountPath: '/etc/memsql/conf.d', readOnly: true }],
  };
}

/** secrets: the data of each Secret named by customConfigRef (by name). */
export function renderSingleStore(db: SingleStore, version: SingleStoreVersion, secrets: Record<string, Record<string, string>>): Rendered {
  const ports = [{ name: 'mysql', port: SDB_PORT }];
  const roles: SingleStoreRole[] = ['aggregator', 'leaf'];
  const custom = (role: SingleStoreRole) => {
    const ref = customConfigRef(db, role);
    return ref ? secrets[ref.name] : undefined;
  };
  return [
    ...roles.map((role) => roleConfigSecret(db, role, custom(role))),
    governingService(db, ports),
    clientService(db, db.metadata.name ?? '', { 'statefulset.kubernetes.io/pod-name': masterAggregatorPod(db) }, ports),
    ...roles.map((role) => statefulSet(db, {
      name: statefulSetName(db, role),
      component: role,
      replicas: db.spec.topology[role].replicas,
      containers: [container(db, role, version.spec.db.image)],
      volumes: [{ name: 'config', secret: { secretName: roleConfigSecretName(db, role) } }],
      storage: db.spec.topology[role].storage,
    })),
  ];
}
