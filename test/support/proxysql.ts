// ProxySQL members of the local data plane for tests: admin (6032) and proxy (6033) connections with
// the ProxySQL's own credentials, and a search of a Temporal history for a secret value.
import mysql from 'mysql2/promise';
import { clients } from './kube.ts';

async function podIp(namespace: string, pod: string): Promise<string> {
  const p = await clients().core.readNamespacedPod({ name: pod, namespace });
  if (!p.status?.podIP) throw new Error(`${pod} has no IP`);
  return p.status.podIP;
}

export async function adminCreds(namespace: string, db: string): Promise<{ user: string; password: string }> {
  const s = await clients().core.readNamespacedSecret({ name: `${db}-auth`, namespace });
  const dec = (k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
  return { user: dec('username'), password: dec('password') };
}

/** Runs f on a MySQL-protocol connection (closed afterwards). */
export async function withConn<T>(host: string, port: number, creds: { user: string; password: string }, f: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host, port, ...creds, connectTimeout: 5000 });
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** Runs f on an admin connection to the member. */
export async function withAdmin<T>(namespace: string, db: string, pod: string, f: (c: mysql.Connection) => Promise<T>): Promise<T> {
  return withConn(await podIp(namespace, pod), 6032, await adminCreds(namespace, db), f);
}

/** Admin connections to several members at once. */
export async function withAdmins<T>(namespace: string, db: string, pods: string[], f: (c: Record<string, mysql.Connection>) => Promise<T>): Promise<T> {
  const creds = await adminCreds(namespace, db);
  const conns: Record<string, mysql.Connection> = {};
  try {
    for (const p of pods) conns[p] = await mysql.createConnection({ host: await podIp(namespace, p), port: 6032, ...creds, connectTimeout: 5000 });
    return await f(conns);
  } finally {
    await Promise.all(Object.values(conns).map((c) => c.end().catch(() => c.destroy())));
  }
}

export async function adminRows(namespace: string, db: string, pod: string, sql: string): Promise<Array<Record<string, unknown>>> {
  return withAdmin(namespace, db, pod, async (c) => (await c.query(sql))[0] as Array<Record<string, unknown>>);
}

/** Logs in on the proxy port (6033) as an application user and runs SELECT 1. */
export async function proxyLogin(namespace: string, pod: string, user: string, password: string): Promise<number> {
  return withConn(await podIp(namespace, pod), 6033, { user, password }, async (c) => Number(((await c.query('SELECT 1 AS one'))[0] as Array<{ one: number }>)[0]?.one));
}

/** Every string in a (proto) history, with payload bytes decoded as UTF-8. */
export function historyText(node: unknown, out: string[] = []): string[] {
  if (node instanceof Uint8Array) out.push(Buffer.from(node).toString('utf8'), Buffer.from(node).toString('base64'));
  else if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const x of node) historyText(x, out);
  else if (node && typeof node === 'object') for (const v of Object.values(node)) historyText(v, out);
  return out;
}
