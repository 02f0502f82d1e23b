// Talking to a SingleStore from activities: the database object, its Pods' IPs, and MySQL-protocol
// connections (mysql2) with the root credentials read from the auth Secret here, inside the activity
// (never passed through workflow history or logged).
import mysql from 'mysql2/promise';
import { SingleStoreSchema, type SingleStore } from '../api/databases.ts';
import { authSecretName } from '../engines/common.ts';
import { SDB_PORT } from '../engines/singlestore/render.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import { podIp, readCredentials } from '../k8s/reads.ts';

export interface SdbCredentials {
  user: string;
  password: string;
}

/** The SingleStore, or undefined when it does not exist. */
export async function readSingleStore(kube: Kube, namespace: string, name: string): Promise<SingleStore | undefined> {
  try {
    return SingleStoreSchema.parse(await getCustom(kube, { kind: 'SingleStore', namespace, name }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function singlestoreCredentials(kube: Kube, db: SingleStore): Promise<SdbCredentials> {
  return readCredentials(kube, db.metadata.namespace ?? '', authSecretName(db), 'root');
}

export { podIp };

/** Runs fn on a connection to one Pod (its IP, port 3306), closing it afterwards. */
export async function withNode<T>(kube: Kube, namespace: string, pod: string, cred: SdbCredentials, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ host: await podIp(kube, namespace, pod), port: SDB_PORT, user: cred.user, password: cred.password, connectTimeout: 5_000 });
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

/** SHOW GLOBAL VARIABLES as name (lower case) → value. */
export async function showVariables(conn: mysql.Connection): Promise<Record<string, string>> {
  const [rows] = await conn.query('SHOW GLOBAL VARIABLES');
  const out: Record<string, string> = {};
  for (const r of rows as Array<Record<string, unknown>>) {
    const name = r.Variable_name ?? r.variable_name;
    if (typeof name === 'string') out[name.toLowerCase()] = r.Value === null || r.Value === undefined ? '' : String(r.Value);
  }
  return out;
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
