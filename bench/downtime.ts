// Write downtime of a 3-member Postgres minor update (prints figures from one run; not a test): a
// writer inserts in a loop through the primary (on an error it reconnects to the current primary:
// the Pod labelled opsflow.dev/role=primary, the one the primary Service selects, read from the API
// server at each reconnect, a watch's copy when it does not answer) while an
// UpdateVersion runs, once with primaryUpdateMethod Switchover (16.13 → 16.14) and once with Restart
// (16.14 → 16.15), on the same database. Per run: the longest write gap, the total gap (every gap
// between two acknowledged writes longer than GAP_MS) and the acknowledged writes missing from the
// primary afterwards (must be 0). Target: longest gap with a switchover ≤ ⅓ of that with a restart.
// Needs the local stack with its data plane: `npm run infra:up` first.
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import pg from 'pg';
import { stringify } from 'yaml';
import { API_VERSION, GROUP, VERSION } from '../src/api/common.ts';
import { makeKube } from '../src/k8s/client.ts';
import { ResilientInformer } from '../src/k8s/informer.ts';
import { kubeconfigPath, kubectl } from '../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../devenv/crds.ts';
import { eventually, spawnOpsflow } from '../devenv/process.ts';
import { temporalAddress } from '../devenv/temporal.ts';

process.env.KUBECONFIG = kubeconfigPath;
const kube = makeKube();
const GAP_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ns = `bench-dt-${Date.now().toString(36)}`;
const DB = 'pgdt';
let next = 1; // ids across both runs' writers (the table keeps the first run's rows)

type Obj = { status?: { phase?: string; message?: string; primary?: string; conditions?: Array<{ type: string; message: string }> } };
const get = async (plural: string, name: string) => (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ns, name })) as Obj;

async function credentials(): Promise<{ user: string; password: string }> {
  const s = await kube.core.readNamespacedSecret({ name: `${DB}-auth`, namespace: ns });
  const dec = (k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
  return { user: dec('username'), password: dec('password') };
}

const primarySelector = `app.kubernetes.io/instance=${DB},opsflow.dev/role=primary`;
// The Pods the primary Service selects, kept current by a watch (what kube-proxy does for a Service).
const primaryPods = new ResilientInformer<V1Pod>({
  kc: kube.kc, path: `/api/v1/namespaces/${ns}/pods`, labelSelector: primarySelector,
  list: () => kube.core.listNamespacedPod({ namespace: ns, labelSelector: primarySelector }) as never,
  onEvent: () => undefined,
});

/** The current primary's IP: the Pod the primary Service selects (role label), as a client would reach it. */
async function primaryIp(): Promise<string | undefined> {
  const pick = (pods: readonly V1Pod[]) => pods.find((p) => !p.metadata?.deletionTimestamp && p.status?.podIP)?.status?.podIP;
  // The API server's answer first, the watch's copy when it does not answer: a watch that missed an
  // event under load kept the writer on a deleted Pod's address (both methods pay one read per reconnect).
  const listed = await kube.core.listNamespacedPod({ namespace: ns, labelSelector: primarySelector }).catch(() => undefined);
  return (listed ? pick(listed.items) : undefined) ?? pick(primaryPods.list());
}

/** Inserts one row at a time through the primary until stopped; every acknowledged id with its time. */
function startWriter(cred: { user: string; password: string }) {
  const acks: Array<{ id: number; at: number }> = [];
  let errors = 0;
  let stopped = false;
  const done = (async () => {
    let client: pg.Client | undefined;
    while (!stopped) {
      try {
        if (!client) {
          const host = await primaryIp();
          if (!host) throw new Error('no primary');
          client = new pg.Client({ host, port: 5432, ...cred, database: 'postgres', connectionTimeoutMillis: 1000, query_timeout: 2000 });
          client.on('error', () => undefined);
          await client.connect();
        }
        const id = next;
        await client.query('INSERT INTO writes (id) VALUES ($1)', [id]);
        next++;
        acks.push({ id, at: Date.now() });
      } catch {
        errors++;
        await client?.end().catch(() => undefined);
        client = undefined;
        await sleep(10);
      }
    }
    await client?.end().catch(() => undefined);
  })();
  return { acks, errors: () => errors, stop: async () => { stopped = true; await done; } };
}

async function runUpdate(name: string, target: string, method: 'Switchover' | 'Restart', cred: { user: string; password: string }) {
  const writer = startWriter(cred);
  await sleep(2000); // a steady state first
  const t0 = Date.now();
  await kubectl(['apply', '-n', ns, '-f', '-'], stringify({
    apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name },
    spec: { type: 'UpdateVersion', databaseRef: { name: DB }, updateVersion: { targetVersion: target }, primaryUpdateMethod: method, timeout: '5m' },
  }));
  const ops = await eventually(`${name} finished`, async () => {
    const o = await get('postgresopsrequests', name);
    return ['Successful', 'Failed', 'Skipped'].includes(o.status?.phase ?? '') ? o : undefined;
  }, 600_000, 250);
  const t1 = Date.now();
  await sleep(2000);
  await writer.stop();
  if (ops.status?.phase !== 'Successful') throw new Error(`${name}: ${ops.status?.phase}: ${ops.status?.message}`);
  // The window's edges count too: a writer that took no write after some point (or before the
  // first) has a gap up to the edge, not none.
  const end = t1 + 2000;
  const during = [t0, ...writer.acks.filter((a) => a.at >= t0 && a.at <= end).map((a) => a.at), end];
  const gaps: number[] = [];
  for (let i = 1; i < during.length; i++) gaps.push((during[i] ?? 0) - (during[i - 1] ?? 0));
  const longest = Math.max(0, ...gaps);
  const total = gaps.filter((g) => g > GAP_MS).reduce((a, b) => a + b, 0);
  // Lost acknowledged writes: acknowledged ids the (new) primary does not have.
  const host = await primaryIp();
  const c = new pg.Client({ host, port: 5432, ...cred, database: 'postgres' });
  await c.connect();
  const ids = writer.acks.map((a) => a.id);
  const [lost] = (await c.query<{ n: string }>('SELECT count(*)::text AS n FROM unnest($1::int[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM writes w WHERE w.id = a.id)', [ids])).rows;
  await c.end();
  const db = await get('postgreses', DB);
  const step = ops.status?.conditions?.find((x) => x.type === 'Switchover')?.message;
  return { method, acked: ids.length, errors: writer.errors(), longest, total, lost: Number(lost?.n ?? -1), seconds: (t1 - t0) / 1000, primary: db.status?.primary ?? `${DB}-0`, step };
}

await installCrdsAndCatalog();
await kube.core.createNamespace({ body: { metadata: { name: ns } } });
const env = { TEMPORAL_ADDRESS: temporalAddress(), OPSFLOW_TASK_QUEUE: `bench-${ns}`, OPSFLOW_WATCH_NAMESPACE: ns, OPSFLOW_LOG_LEVEL: 'warn' };
const logs = ['watcher', 'worker'].map((w) => join(tmpdir(), `${ns}-${w}.log`));
console.log(`watcher and worker logs: ${logs.join(', ')}`);
const children: ChildProcess[] = [spawnOpsflow('watcher', env, logs[0]), spawnOpsflow('worker', env, logs[1])];
try {
  await kubectl(['apply', '-n', ns, '-f', '-'], stringify({ apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: DB }, spec: { version: '16.13', replicas: 3 } }));
  await eventually(`${DB} Ready`, async () => ((await get('postgreses', DB)).status?.phase === 'Ready' ? true : undefined), 600_000, 250);
  const cred = await credentials();
  await primaryPods.start();
  await eventually('the primary takes writes', async () => {
    const host = await primaryIp();
    if (!host) return undefined;
    const c = new pg.Client({ host, port: 5432, ...cred, database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('CREATE TABLE IF NOT EXISTS writes (id int PRIMARY KEY, at timestamptz DEFAULT now())');
      return true;
    } catch {
      return undefined;
    } finally {
      await c.end().catch(() => undefined);
    }
  }, 120_000, 500);
  const sw = await runUpdate('dt-switchover', '16.14', 'Switchover', cred);
  const rs = await runUpdate('dt-restart', '16.15', 'Restart', cred);
  const row = (r: typeof sw) => `${r.method.padEnd(10)} | ${String(r.longest).padStart(7)} ms | ${String(r.total).padStart(7)} ms | ${String(r.lost).padStart(4)} | ${String(r.acked).padStart(7)} | ${String(r.errors).padStart(6)} | ${r.seconds.toFixed(1).padStart(5)} s | ${r.primary}`;
  console.log(`write downtime during a 3-member minor UpdateVersion (gap = time between two acknowledged inserts; total = sum of gaps > ${GAP_MS} ms)`);
  console.log('method     | longest gap | total gap  | lost | acked   | errors | run     | primary after');
  console.log(row(sw));
  console.log(row(rs));
  if (sw.step) console.log(`Switchover step: ${sw.step}`);
  const ratio = sw.longest / Math.max(1, rs.longest);
  console.log(`longest gap, switchover / restart: ${ratio.toFixed(2)} (target ≤ 0.33): ${ratio <= 1 / 3 ? 'met' : 'NOT met'}; lost acknowledged writes: ${sw.lost + rs.lost} (must be 0)`);
  if (sw.lost + rs.lost !== 0) process.exitCode = 1;
} finally {
  await primaryPods.stop();
  for (const c of children) c.kill('SIGTERM');
  await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
}
