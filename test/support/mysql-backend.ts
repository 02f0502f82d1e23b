// A MySQL backend for a ProxySQL in tests: a Pod of the local data plane running the SIMULATED MySQL
// (devenv/runtime/mysql-sim/mysql.ts: accounts only), its Service and its auth Secret, named as
// KubeDB names a MySQL's (`<name>`, `<name>-auth`), which is where opsflow looks for a user's password.
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { clients, eventually, isReady } from './kube.ts';
import { withConn } from './proxysql.ts';

export interface MySQLBackend { name: string; ip: string; root: { user: string; password: string } }

export async function startMySQLBackend(namespace: string, name: string): Promise<MySQLBackend> {
  const root = { user: 'root', password: randomBytes(12).toString('base64url') };
  const labels = { 'app.kubernetes.io/managed-by': 'opsflow', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': 'mysql' };
  const docs = [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-auth`, namespace }, stringData: { username: root.user, password: root.password } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { 'app.kubernetes.io/instance': name }, ports: [{ name: 'mysql', port: 3306, targetPort: 3306 }] } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-0`, namespace, labels },
      spec: {
        containers: [{
          name: 'mysql', image: 'mysql:8.4.8',
          env: [{ name: 'MYSQL_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: `${name}-auth`, key: 'password' } } }],
          ports: [{ name: 'mysql', containerPort: 3306 }],
          readinessProbe: { tcpSocket: { port: 3306 }, periodSeconds: 1 },
        }],
      },
    },
  ];
  await kubectl(['apply', '-f', '-'], docs.map((d) => stringify(d)).join('---\n'));
  const pod = await eventually(`${name}-0 Ready`, async () => {
    const p = await clients().core.readNamespacedPod({ name: `${name}-0`, namespace }).catch(() => undefined);
    return p && isReady(p) && p.status?.podIP ? p : undefined;
  }, 120_000, 250);
  return { name, ip: pod.status?.podIP ?? '', root };
}

/** Runs SQL as root on the backend (what the guide does with `mysql -uroot -p…`). */
export async function backendSql(b: MySQLBackend, statements: string[]): Promise<void> {
  await withConn(b.ip, 3306, b.root, async (c) => {
    for (const s of statements) await c.query(s);
  });
}
