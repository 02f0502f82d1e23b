// The Kubernetes objects of a ProxySQL cluster (pure): one StatefulSet, a headless Service, a
// client Service over all members, the config Secret.
import type { ProxySQL } from '../../api/databases.ts';
import type { ProxySQLVersion } from '../../api/catalog.ts';
import { renderedResources } from '../resources.ts';
import { authSecretName, clientService, configSecret, configSecretName, governingService, podIdentityEnv, secretEnv, selectorLabels, statefulSet, type Rendered } from '../common.ts';

export const PROXYSQL_MYSQL_PORT = 6033;
export const PROXYSQL_ADMIN_PORT = 6032;

export function renderProxySQL(db: ProxySQL, version: ProxySQLVersion, config: Record<string, string>): Rendered {
  const ports = [{ name: 'mysql', port: PROXYSQL_MYSQL_PORT }, { name: 'admin', port: PROXYSQL_ADMIN_PORT }];
  return [
    configSecret(db, config),
    governingService(db, ports),
    clientService(db, db.metadata.name ?? '', selectorLabels(db), [{ name: 'mysql', port: PROXYSQL_MYSQL_PORT }]),
    statefulSet(db, {
      name: db.metadata.name ?? '',
      replicas: db.spec.replicas,
      containers: [{
        name: 'proxysql',
        image: version.spec.db.image,
        env: [
          ...podIdentityEnv,
          secretEnv('ADMIN_USER', authSecretName(db), 'username'),
          secretEnv('ADMIN_PASSWORD', authSecretName(db), 'password'),
          ...(db.spec.backend ? [{ name: 'BACKEND', value: db.spec.backend.name }] : []),
        ],
        ports: [{ name: 'mysql', containerPort: PROXYSQL_MYSQL_PORT }, { name: 'admin', containerPort: PROXYSQL_ADMIN_PORT }],
        readinessProbe: { tcpSocket: { port: PROXYSQL_ADMIN_PORT }, periodSeconds: 2 },
        ...renderedResources(db.spec.podTemplate, 'proxysql'),
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/proxysql' }, { name: 'config', mountPath: '/etc/proxysql.d', readOnly: true }],
      }],
      volumes: [{ name: 'config', secret: { secretName: configSecretName(db) } }],
    }),
  ];
}
