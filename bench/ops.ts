// Benchmarks of the ops path (prints figures from one run; not a test):
//  1. watch-to-start latency: OpsRequest created → its workflow started, p50/p99 over N requests;
//  2. orchestration overhead: wall time of a 3-Pod minor UpdateVersion divided by the sum of the
//     three Pods' own delete-to-Ready times (target < 1.10).
// Needs the local stack with its data plane: `npm run infra:up` first (or `npm run bench`).
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { makeInformer, type V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { API_VERSION, GROUP, VERSION } from '../src/api/common.ts';
import { makeKube } from '../src/k8s/client.ts';
import { workflowIdFor } from '../src/temporal/ids.ts';
import { kubeconfigPath, kubectl } from '../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../devenv/crds.ts';
import { eventually, spawnOpsflow } from '../devenv/process.ts';
import { temporalAddress } from '../devenv/temporal.ts';

process.env.KUBECONFIG = kubeconfigPath;
const kube = makeKube();
const N = Number(process.env.BENCH_OPS ?? 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

const ns = `bench-${Date.now().toString(36)}`;
const taskQueue = `bench-${ns}`;
await installCrdsAndCatalog();
await kube.core.createNamespace({ body: { metadata: { name: ns } } });
const env = { TEMPORAL_ADDRESS: temporalAddress(), OPSFLOW_TASK_QUEUE: taskQueue, OPSFLOW_WATCH_NAMESPACE: ns, OPSFLOW_LOG_LEVEL: 'warn' };
const client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
const watcher = spawnOpsflow('watcher', env);
const children: ChildProcess[] = [watcher];
try {
  // 1. Watch-to-start latency (no worker on this queue yet: the runs just start and wait).
  await sleep(3000);
  const latencies: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = Date.now();
    const o = (await kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns, body: {
      apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name: `lat-${i}` },
      spec: { type: 'UpdateVersion', databaseRef: { name: `nodb-${i}` }, updateVersion: { targetVersion: '16.15' } } } })) as { metadata: { uid: string } };
    const id = workflowIdFor({ kind: 'PostgresOpsRequest', namespace: ns, name: `lat-${i}`, uid: o.metadata.uid });
    const started = await eventually(`run of lat-${i}`, async () => (await client.workflow.getHandle(id).describe()).startTime.getTime(), 60_000, 100);
    latencies.push(started - t0);
  }
  console.log(`watch-to-start latency over ${N} OpsRequests: p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms, max ${Math.max(...latencies)} ms`);
  for (let i = 0; i < N; i++) {
    await kube.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns, name: `lat-${i}` });
  }
  children.push(spawnOpsflow('worker', env));

  // 2. Orchestration overhead of a 3-Pod minor update on real Postgres.
  await kubectl(['apply', '-n', ns, '-f', '-'], stringify({ apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: 'bench' }, spec: { version: '16.13', replicas: 3 } }));
  await eventually('bench Ready', async () => {
    const d = (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns, name: 'bench' })) as { status?: { phase?: string } };
    return d.status?.phase === 'Ready' ? true : undefined;
  }, 600_000, 100);
  const deletedAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const firstUid = new Map<string, string>();
  const informer = makeInformer<V1Pod>(kube.kc, `/api/v1/namespaces/${ns}/pods`, () => kube.core.listNamespacedPod({ namespace: ns }));
  const onPod = (p: V1Pod) => {
    const name = p.metadata?.name ?? '';
    const uid = p.metadata?.uid ?? '';
    if (!firstUid.has(name)) firstUid.set(name, uid);
    if (uid === firstUid.get(name) && p.metadata?.deletionTimestamp && !deletedAt.has(name)) deletedAt.set(name, Date.now());
    const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (uid !== firstUid.get(name) && ready && !readyAt.has(name)) readyAt.set(name, Date.now());
  };
  informer.on('add', onPod);
  informer.on('update', onPod);
  await informer.start();
  await sleep(1000);
  const t0 = Date.now();
  await kubectl(['apply', '-n', ns, '-f', '-'], stringify({ apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name: 'minor' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'bench' }, updateVersion: { targetVersion: '16.15' } } }));
  const phase = await eventually('minor finished', async () => {
    const o = (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns, name: 'minor' })) as { status?: { phase?: string } };
    return ['Successful', 'Failed'].includes(o.status?.phase ?? '') ? o.status?.phase : undefined;
  }, 600_000, 100);
  const wall = Date.now() - t0;
  await informer.stop();
  const perPod = ['bench-0', 'bench-1', 'bench-2'].map((p) => (readyAt.get(p) ?? NaN) - (deletedAt.get(p) ?? NaN));
  const sum = perPod.reduce((a, b) => a + b, 0);
  console.log(`3-Pod minor update (${phase}): wall ${wall} ms; Pods' own delete-to-Ready ${perPod.map((x) => `${x} ms`).join(', ')} (sum ${sum} ms)`);
  console.log(`orchestration overhead ratio: ${(wall / sum).toFixed(2)} (target < 1.10)`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
  await client.connection.close();
}
