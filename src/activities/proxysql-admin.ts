// Access to a ProxySQL's members over their admin interface (port 6032 of each Pod IP) with the
// admin credentials of the auth Secret, read here (never passed through workflow history).
import mysql from 'mysql2/promise';
import { ProxySQLSchema, type ProxySQL } from '../api/databases.ts';
import { authSecretName } from '../engines/common.ts';
import { PROXYSQL_ADMIN_PORT } from '../engines/proxysql/render.ts';
import { proxysqlMembers } from '../engines/proxysql/plan.ts';
import { isNotFound } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { ActivityDeps } from './deps.ts';
import { podIp, readCredentials } from '../k8s/reads.ts';

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The ProxySQL, or undefined when it does not exist. */
export async function readProxySQL(deps: ActivityDeps, namespace: string, name: string): Promise<ProxySQL | undefined> {
  try {
    return ProxySQLSchema.parse(await getCustom(deps.kube, { kind: 'ProxySQL', namespace, name }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export interface ProxySQLAdmin {
  db: ProxySQL;
  members: string[];
  /** Runs fn on an admin connection to the member (opened and closed around it). */
  withMember<T>(pod: string, fn: (c: mysql.Connection) => Promise<T>): Promise<T>;
  /** Admin connections to every member at once (name → connection). */
  withAll<T>(fn: (c: Record<string, mysql.Connection>) => Promise<T>): Promise<T>;
}

/** `members`: the members to reach (default: those of spec.replicas). */
export async function proxysqlAdmin(deps: ActivityDeps, namespace: string, name: string, only?: string[]): Promise<ProxySQLAdmin> {
  const db = await readProxySQL(deps, namespace, name);
  if (!db) throw new Error(`ProxySQL ${name} not found in namespace ${namespace}`);
  const { user, password } = await readCredentials(deps.kube, namespace, authSecretName(db), '');
  const connect = async (pod: string) =>
    mysql.createConnection({ host: await podIp(deps.kube, namespace, pod), port: PROXYSQL_ADMIN_PORT, user, password, connectTimeout: 5000 });
  const close = (c: mysql.Connection) => c.end().catch(() => c.destroy());
  const members = only ?? proxysqlMembers(db);
  return {
    db,
    members,
    async withMember(pod, fn) {
      const c = await connect(pod);
      try {
        return await fn(c);
      } finally {
        await close(c);
      }
    },
    async withAll(fn) {
      const conns: Record<string, mysql.Connection> = {};
      try {
        for (const m of members) conns[m] = await connect(m);
        return await fn(conns);
      } finally {
        await Promise.all(Object.values(conns).map(close));
      }
    },
  };
}

export async function queryRows(c: mysql.Connection, sql: string): Promise<Array<Record<string, unknown>>> {
  const [rows] = await c.query(sql);
  if (!Array.isArray(rows)) throw new Error(`${sql} returned no result set`);
  return rows as Array<Record<string, unknown>>;
}
