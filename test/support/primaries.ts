// Watches which members of a Postgres accept writes (pg_is_in_recovery() = false), polling every
// member at once every few dozen ms, so a test can assert there were never two primaries.
import pg from 'pg';
import { clients } from './kube.ts';

export interface PrimaryWatch {
  /** The most members seen answering as a primary in one round. */
  maxPrimaries(): number;
  /** Rounds in which two or more did, with who and when. */
  violations(): string[];
  rounds(): number;
  stop(): Promise<void>;
}

export async function watchPrimaries(namespace: string, db: string, pods: string[], intervalMs = 50): Promise<PrimaryWatch> {
  const { core } = clients();
  const secret = await core.readNamespacedSecret({ name: `${db}-auth`, namespace });
  const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString();
  const user = dec('username');
  const password = dec('password');
  let max = 0;
  let rounds = 0;
  const bad: string[] = [];
  let stopped = false;
  const primaryAt = async (ip: string): Promise<boolean> => {
    const c = new pg.Client({ host: ip, port: 5432, user, password, database: 'postgres', connectionTimeoutMillis: 500, query_timeout: 1000 });
    try {
      await c.connect();
      return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === false;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const list = (await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${db}` }).catch(() => undefined))?.items ?? [];
      const ips = pods.map((p) => list.find((x) => x.metadata?.name === p)?.status?.podIP);
      const answers = await Promise.all(ips.map((ip) => (ip ? primaryAt(ip) : Promise.resolve(false))));
      const now = pods.filter((_, i) => answers[i]);
      rounds++;
      max = Math.max(max, now.length);
      if (now.length > 1) bad.push(`${new Date().toISOString()}: ${now.join(', ')} accept writes`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    maxPrimaries: () => max,
    violations: () => [...bad],
    rounds: () => rounds,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
