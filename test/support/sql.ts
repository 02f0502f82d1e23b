// SQL against a Postgres member of the local data plane, with the database's own credentials.
import pg from 'pg';
import { clients } from './kube.ts';

export async function pgQuery<R extends pg.QueryResultRow = Record<string, unknown>>(namespace: string, db: string, pod: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const { core } = clients();
  const secret = await core.readNamespacedSecret({ name: `${db}-auth`, namespace });
  const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString();
  const p = await core.readNamespacedPod({ name: pod, namespace });
  if (!p.status?.podIP) throw new Error(`${pod} has no IP`);
  const client = new pg.Client({ host: p.status.podIP, port: 5432, user: dec('username'), password: dec('password'), database: 'postgres', connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
