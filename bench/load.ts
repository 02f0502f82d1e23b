// Load benchmark (prints figures from one run; not a test): many OpsRequests in flight at once,
// spread over many databases, most of them queued or waiting for approval. Per database the first
// request waits for approval (spec.approval Required) and holds the database's queue; the others
// are queued behind it (WaitForTurn). Figures, each with its target (issue: flat load):
//   - OpsRequest created → its run started (Temporal's start time), p50/p99;
//   - worker and watcher RSS (the highest seen while every request is in flight);
//   - Kubernetes API requests per second from opsflow (watcher + worker, lists and watches
//     included, counted inside each process) in steady state.
// Usage: node --import tsx bench/load.ts [--dbs 100] [--per-db 10] [--settle 60]
// Needs the local stack with its data plane: `npm run infra:up` first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { REQUESTED_BY_ANNOTATION } from '../src/api/approval.ts';
import { API_VERSION, GROUP, VERSION } from '../src/api/common.ts';
import { mergePatch } from '../src/k8s/apply.ts';
import { makeKube } from '../src/k8s/client.ts';
import { workflowIdFor } from '../src/temporal/ids.ts';
import { kubeconfigPath } from '../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../devenv/crds.ts';
import { stateDir } from '../devenv/paths.ts';
import { temporalAddress } from '../devenv/temporal.ts';
import { prebuiltWorkflowBundle, startOpsflowProcess, type ProcessEnv } from '../test/support/processes.ts';

const { values: a } = parseArgs({ options: { dbs: { type: 'string', default: '100' }, 'per-db': { type: 'string', default: '10' }, settle: { type: 'string', default: '60' } } });
const DBS = Number(a.dbs);
const PER_DB = Number(a['per-db']);
const SETTLE_S = Number(a.settle);
const TARGETS = { workerRssMiB: 300, watcherRssMiB: 200, apiRps: 20, startP99Ms: 200 };

process.env.KUBECONFIG = kubeconfigPath;
const kube = makeKube();
// The approval policy wants the creating user named on a request that needs approval.
const user = (await kube.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })).status?.userInfo?.username ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;
const say = (s: string) => process.stdout.write(`[load] ${s}\n`);

const ns = `bench-load-${Date.now().toString(36)}`;
const env: ProcessEnv = { temporalAddress: temporalAddress(), taskQueue: `bench-${ns}`, namespace: ns };
const counter = join(import.meta.dirname, 'support', 'count-kube-requests.mjs');
const countFile = (which: string) => join(stateDir, `${ns}-${which}-requests`);
const counted = (which: string) => ({
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${counter}`.trim(),
  OPSFLOW_RESYNC_SECONDS: '300', // the default (test processes resync every 5 s)
  OPSFLOW_BENCH_REQUESTS_FILE: countFile(which),
});
/** Requests so far by "METHOD /path". */
const requestsSoFar = (which: string): Record<string, number> => {
  try {
    return JSON.parse(readFileSync(countFile(which), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
};
const total = (c: Record<string, number>) => Object.values(c).reduce((x, y) => x + y, 0);
/** The busiest paths between two counts. */
const busiest = (a: Record<string, number>, b: Record<string, number>, secs: number) => Object.entries(b)
  .map(([k, v]) => [k, (v - (a[k] ?? 0)) / secs] as const).filter(([, r]) => r > 0).sort((x, y) => y[1] - x[1]).slice(0, 5)
  .map(([k, r]) => `      ${r.toFixed(2)}/s  ${k}`);
const rssMiB = (pid: number | undefined): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

await installCrdsAndCatalog();
await kube.core.createNamespace({ body: { metadata: { name: ns } } });
const client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
const watcher = startOpsflowProcess('watcher', env, 'watcher', counted('watcher'));
// The worker runs a prebuilt workflow bundle, as the image does (no bundler in the process).
const worker = startOpsflowProcess('worker', env, 'worker', { ...counted('worker'), ...(await prebuiltWorkflowBundle(join(stateDir, `${ns}-workflows.js`))) });
const created: Array<{ name: string; uid: string; at: number }> = [];
/** Until the process's log says it serves (start latency is measured from a running watcher). */
const ready = async (p: typeof watcher, line: RegExp) => {
  for (let i = 0; i < 600; i++) {
    if (line.test(readFileSync(p.logFile, 'utf8'))) return;
    await sleep(500);
  }
  throw new Error(`${p.logFile}: not ready after 300 s`);
};
try {
  await Promise.all([ready(watcher, /became leader/), ready(worker, /worker started/)]);
  say(`${DBS} databases × ${PER_DB} requests = ${DBS * PER_DB} OpsRequests in namespace ${ns}`);
  for (let d = 0; d < DBS; d++) {
    await kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns, body: {
      apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: `db-${d}` }, spec: { version: '16.13', replicas: 1 } } });
  }
  // Creation in rounds: request r of every database, so each database's queue fills in order.
  for (let r = 0; r < PER_DB; r++) {
    for (let d = 0; d < DBS; d++) {
      const name = `db-${d}-r${r}`;
      const at = Date.now();
      const o = (await kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns, body: {
        apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name, ...(r === 0 ? { annotations: { [REQUESTED_BY_ANNOTATION]: user } } : {}) },
        spec: { type: 'UpdateVersion', databaseRef: { name: `db-${d}` }, updateVersion: { targetVersion: '16.15' }, apply: 'Always', ...(r === 0 ? { approval: 'Required' } : {}) },
      } })) as { metadata: { uid: string } };
      created.push({ name, uid: o.metadata.uid, at });
    }
  }
  say(`created ${created.length} OpsRequests; waiting for every run to start`);
  const startMs: number[] = [];
  for (const c of created) {
    const handle = client.workflow.getHandle(workflowIdFor({ kind: 'PostgresOpsRequest', namespace: ns, name: c.name, uid: c.uid }));
    for (;;) {
      const d = await handle.describe().catch(() => undefined);
      if (d) {
        startMs.push(d.startTime.getTime() - c.at);
        break;
      }
      await sleep(250);
    }
  }
  // Steady state: every first request waits for approval, every other one is queued behind it.
  say('waiting for steady state (approval / WaitForTurn)');
  const list = async () => ((await kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns })) as {
    items: Array<{ metadata: { name: string }; status?: { phase?: string; message?: string } }> }).items;
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const items = await list();
    const approval = items.filter((i) => i.status?.phase === 'WaitingForApproval').length;
    const queued = items.filter((i) => i.status?.message?.startsWith('waiting for PostgresOpsRequest')).length;
    if (approval === DBS && queued === DBS * (PER_DB - 1)) break;
    if (Date.now() > deadline) throw new Error(`no steady state after 30 min: ${approval} waiting for approval, ${queued} queued`);
    await sleep(5_000);
  }
  // The databases come up meanwhile (their provisioning is not steady state).
  for (;;) {
    const dbs = ((await kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns })) as { items: Array<{ status?: { phase?: string } }> }).items;
    const ready = dbs.filter((x) => x.status?.phase === 'Ready').length;
    if (ready === DBS) break;
    if (Date.now() > deadline) throw new Error(`only ${ready} of ${DBS} databases Ready after 30 min`);
    await sleep(5_000);
  }
  await sleep(10_000);
  say(`steady state; measuring for ${SETTLE_S} s`);
  const before = { watcher: requestsSoFar('watcher'), worker: requestsSoFar('worker') };
  let workerRss = 0;
  let watcherRss = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < SETTLE_S * 1000) {
    workerRss = Math.max(workerRss, rssMiB(worker.child.pid));
    watcherRss = Math.max(watcherRss, rssMiB(watcher.child.pid));
    await sleep(1_000);
  }
  await sleep(1_100); // the counters are written each second
  const secs = (Date.now() - t0) / 1000;
  const after = { watcher: requestsSoFar('watcher'), worker: requestsSoFar('worker') };
  const rps = { watcher: (total(after.watcher) - total(before.watcher)) / secs, worker: (total(after.worker) - total(before.worker)) / secs };
  const row = (what: string, value: string, target: string, ok: boolean) => `${what.padEnd(48)} ${value.padStart(12)}   target ${target.padEnd(10)} ${ok ? 'met' : 'NOT met'}`;
  const p99 = pct(startMs, 99);
  process.stdout.write([
    '',
    `== ${created.length} OpsRequests in flight over ${DBS} databases (${DBS} waiting for approval, ${DBS * (PER_DB - 1)} queued)`,
    row('created → run started, p50', `${pct(startMs, 50).toFixed(0)} ms`, '', true),
    row('created → run started, p99', `${p99.toFixed(0)} ms`, `≤ ${TARGETS.startP99Ms} ms`, p99 <= TARGETS.startP99Ms),
    row('worker RSS (max in steady state)', `${workerRss.toFixed(0)} MiB`, `≤ ${TARGETS.workerRssMiB} MiB`, workerRss <= TARGETS.workerRssMiB),
    row('watcher RSS (max in steady state)', `${watcherRss.toFixed(0)} MiB`, `≤ ${TARGETS.watcherRssMiB} MiB`, watcherRss <= TARGETS.watcherRssMiB),
    row(`API requests/s from opsflow (${secs.toFixed(0)} s steady state)`, `${(rps.watcher + rps.worker).toFixed(2)}`, `≤ ${TARGETS.apiRps}`, rps.watcher + rps.worker <= TARGETS.apiRps),
    row('  of which the watcher', rps.watcher.toFixed(2), '', true),
    ...busiest(before.watcher, after.watcher, secs),
    row('  of which the worker', rps.worker.toFixed(2), '', true),
    ...busiest(before.worker, after.worker, secs),
    '',
  ].join('\n'));
} finally {
  // Clean up without 1,000 cancellations through the watcher: terminate the runs, drop the finalizers.
  await worker.stop();
  await watcher.stop();
  for (const c of created) {
    await client.workflow.getHandle(workflowIdFor({ kind: 'PostgresOpsRequest', namespace: ns, name: c.name, uid: c.uid })).terminate('bench over').catch(() => undefined);
    await mergePatch(kube, { apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name: c.name, namespace: ns, finalizers: [] } }).catch(() => undefined);
  }
  await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
  await client.connection.close();
}
