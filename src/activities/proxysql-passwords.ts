// Where a ProxySQL Reconfigure's mysql user passwords come from (read inside activities only; no
// value is returned to the workflow, logged or put in an error):
//   passwordSecretRef {name, key}  a Secret in the OpsRequest's namespace (key default `password`);
//   neither (reqType add)          the backend, as KubeDB does: the ProxySQL's spec.backend names a
//                                  MySQL whose Service `<backend>` selects its Pods and whose auth
//                                  Secret `<backend>-auth` holds its root credentials; the user's
//                                  mysql.user.authentication_string (the mysql_native_password hash
//                                  `*HEX`, which ProxySQL accepts as mysql_users.password) is read there;
//   neither (reqType update)       the password is left as it is.
import { ApplicationFailure } from '@temporalio/activity';
import mysql from 'mysql2/promise';
import type { ProxySQL } from '../api/databases.ts';
import type { ProxySQLConfiguration } from '../engines/proxysql/config.ts';
import { isNotFound } from '../k8s/client.ts';
import { decodeSecretData, readCredentials } from '../k8s/reads.ts';
import type { ActivityDeps } from './deps.ts';
import { errorText } from './proxysql-admin.ts';

const MYSQL_PORT = 3306;
type Row = Record<string, unknown>;

const refused = (msg: string) => ApplicationFailure.nonRetryable(msg, 'PasswordUnavailable');

/** A Ready Pod's IP behind the backend's Service (no cluster DNS needed), and the Service's MySQL port. */
async function backendAddress(deps: ActivityDeps, namespace: string, backend: string, field: string): Promise<{ host: string; port: number }> {
  let svc;
  try {
    svc = await deps.kube.core.readNamespacedService({ name: backend, namespace });
  } catch (e) {
    if (isNotFound(e)) throw refused(`${field}: the backend's Service "${backend}" does not exist in namespace ${namespace}`);
    throw e;
  }
  const selector = Object.entries(svc.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  if (!selector) throw refused(`${field}: the backend's Service "${backend}" has no selector`);
  const pods = (await deps.kube.core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  const ready = pods.find((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!ready?.status?.podIP) throw new Error(`${field}: no Ready Pod behind the backend's Service "${backend}" (${pods.length} Pod(s))`);
  const port = svc.spec?.ports?.find((p) => p.name === 'mysql')?.targetPort ?? svc.spec?.ports?.[0]?.targetPort ?? MYSQL_PORT;
  return { host: ready.status.podIP, port: typeof port === 'number' ? port : MYSQL_PORT };
}

/** The users' stored password hashes from the backend's mysql.user, by user name. */
async function backendPasswords(deps: ActivityDeps, namespace: string, db: ProxySQL, users: Array<{ name: string; at: string }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (users.length === 0) return out;
  const backend = db.spec.backend?.name;
  if (!backend) {
    throw refused(users.map((u) => `${u.at}: no password: give passwordSecretRef, or set spec.backend on ProxySQL ${db.metadata.name} to take it from the backend`).join('; '));
  }
  const field = `ProxySQL ${db.metadata.name} spec.backend (${backend})`;
  const { host, port } = await backendAddress(deps, namespace, backend, field);
  let cred;
  try {
    cred = await readCredentials(deps.kube, namespace, `${backend}-auth`, 'root');
  } catch (e) {
    if (isNotFound(e)) throw refused(`${field}: the backend's auth Secret "${backend}-auth" does not exist`);
    throw e;
  }
  let c: mysql.Connection;
  try {
    c = await mysql.createConnection({ host, port, user: cred.user, password: cred.password, connectTimeout: 5000 });
  } catch (e) {
    throw new Error(`${field}: cannot connect to the backend at ${host}:${port}: ${errorText(e)}`);
  }
  try {
    for (const u of users) {
      const [rows] = await c.query('SELECT host, authentication_string FROM mysql.user WHERE user = ?', [u.name]);
      // The account ProxySQL's clients come from anywhere with ('%') first.
      const sorted = [...(rows as Row[])].sort((a, b) => Number(b.host === '%') - Number(a.host === '%'));
      const hash = sorted.map((r) => r.authentication_string).find((h): h is string => typeof h === 'string' && h !== '');
      if (!hash) throw refused(`${u.at}: mysql user "${u.name}" does not exist in the backend ${backend} (create it there first, or give passwordSecretRef)`);
      out.set(u.name, hash);
    }
  } finally {
    await c.end().catch(() => c.destroy());
  }
  return out;
}

/**
 * The configuration with each user's password resolved (a `password` column, as ProxySQL's
 * mysql_users has it) and passwordSecretRef removed; for the activities that apply and verify it.
 */
export async function resolvePasswords(deps: ActivityDeps, namespace: string, db: ProxySQL, cfg: ProxySQLConfiguration): Promise<ProxySQLConfiguration> {
  const mu = cfg.mysqlUsers;
  if (!mu || mu.reqType === 'delete') return cfg;
  const fromSecret = new Map<string, string>();
  const fromBackend: Array<{ name: string; at: string }> = [];
  for (const [i, u] of mu.users.entries()) {
    const at = `spec.configuration.mysqlUsers.users[${i}]`;
    const ref = u.passwordSecretRef as { name: string; key?: string } | undefined;
    const name = String(u.username);
    if (ref) {
      const key = ref.key ?? 'password';
      let data: Record<string, string>;
      try {
        data = decodeSecretData((await deps.kube.core.readNamespacedSecret({ name: ref.name, namespace })).data);
      } catch (e) {
        if (isNotFound(e)) throw refused(`${at}.passwordSecretRef: Secret "${ref.name}" not found in namespace ${namespace}`);
        throw e;
      }
      const pw = data[key];
      if (!pw) throw refused(`${at}.passwordSecretRef: Secret "${ref.name}" has no key "${key}" (or it is empty)`);
      fromSecret.set(name, pw);
    } else if (mu.reqType === 'add') {
      fromBackend.push({ name, at });
    }
  }
  const hashes = await backendPasswords(deps, namespace, db, fromBackend);
  const users = mu.users.map((u) => {
    const row = Object.fromEntries(Object.entries(u).filter(([k]) => k !== 'passwordSecretRef'));
    const name = String(u.username);
    const pw = fromSecret.get(name) ?? hashes.get(name);
    return pw === undefined ? row : { ...row, password: pw };
  });
  return { ...cfg, mysqlUsers: { ...mu, users } };
}
