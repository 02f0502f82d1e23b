// Failure-detection benchmark (prints figures from one run; not a test): two real workers serve a
// task queue while Restarts roll a 3-member Postgres. Each time a RestartPod step (rollPod) is
// running, the worker running it is SIGKILLed (and a fresh one started in its place); the figure is
// the time from the kill to that step's next attempt starting on a live worker, read from Temporal's
// own pending-activity record. Target: p99 ≤ 12 s over BENCH_KILLS kills (default 20).
// Needs the local stack with its data plane: `npm run infra:up` first (or `npm run bench`).
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stateDir } from '../devenv/paths.ts';
import { stringify } from 'yaml';
import { API_VERSION, GROUP, VERSION } from '../src/api/common.ts';
import { makeKube } from '../src/k8s/client.ts';
import { workflowIdFor } from '../src/temporal/ids.ts';
import { kubeconfigPath, kubectl } from '../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../devenv/crds.ts';
import { eventually } from '../devenv/process.ts';
import { temporalAddress } from '../devenv/temporal.ts';
import { prebuiltWorkflowBundle, startOpsflowProcess, type OpsflowProcess, type ProcessEnv } from '../test/support/processes.ts';

process.env.KUBECONFIG = kubeconfigPath;
const kube = makeKube();
const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const TARGET_P99_S = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

const ns = `bench-fd-${Date.now().toString(36)}`;
const env: ProcessEnv = { temporalAddress: temporalAddress(), taskQueue: `bench-${ns}`, namespace: ns };
await installCrdsAndCatalog();
await kube.core.createNamespace({ body: { metadata: { name: ns } } });
const client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
// One prebuilt workflow bundle, so a replacement worker starts in seconds.
const bundle = join(stateDir, `${ns}-workflows.js`);
const bundleEnv = await prebuiltWorkflowBundle(bundle);
let serial = 0;
const spawnWorker = () => startOpsflowProcess('worker', env, `worker-${serial++}`, { OPSFLOW_LOG_LEVEL: 'warn', ...bundleEnv });
const workers: OpsflowProcess[] = [spawnWorker(), spawnWorker()];
const watcher = startOpsflowProcess('watcher', env, 'watcher', { OPSFLOW_LOG_LEVEL: 'warn' });
const detections: number[] = [];
// Every worker process polls the activity queue (a replacement's start-up is not what is measured:
// the step must have a live worker to run on again).
const allPolling = async () => {
  const r = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: env.taskQueue }, taskQueueType: 2 /* ACTIVITY */ });
  const ids = new Set((r.pollers ?? []).map((p) => p.identity ?? ''));
  return workers.every((w) => [...ids].some((id) => id.startsWith(`${w.child.pid}@`)));
};
try {
  await kubectl(['apply', '-n', ns, '-f', '-'], stringify({ apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: 'fd' }, spec: { version: '16.13', replicas: 3 } }));
  await eventually('fd Ready', async () => {
    const d = (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns, name: 'fd' })) as { status?: { phase?: string } };
    return d.status?.phase === 'Ready' ? true : undefined;
  }, 600_000, 200);
  for (let round = 0; detections.length < KILLS; round++) {
    const name = `restart-${round}`;
    const o = (await kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns, body: {
      apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name }, spec: { type: 'Restart', databaseRef: { name: 'fd' }, maxRetries: 10 } } })) as { metadata: { uid: string } };
    const handle = client.workflow.getHandle(workflowIdFor({ kind: 'PostgresOpsRequest', namespace: ns, name, uid: o.metadata.uid }));
    const struck = new Set<string>(); // activity ids already killed once in this run
    for (;;) {
      const d = await handle.describe().catch(() => undefined);
      if (d && d.status.name !== 'RUNNING') break;
      const roll = d?.raw.pendingActivities?.find((a) => a.activityType?.name === 'rollPod' && a.state === 2 /* STARTED */ && !struck.has(a.activityId ?? ''));
      const identity = roll?.lastWorkerIdentity ?? '';
      const victim = workers.findIndex((w) => identity.startsWith(`${w.child.pid}@`));
      if (roll && victim >= 0 && detections.length < KILLS && (await allPolling())) {
        struck.add(roll.activityId ?? '');
        const attempt = roll.attempt ?? 1;
        const killedAt = Date.now();
        await workers[victim]!.kill();
        workers[victim] = spawnWorker();
        // The step's next attempt, on whichever live worker takes it.
        const restartedAt = await eventually(`rollPod ${roll.activityId} attempt ${attempt + 1}`, async () => {
          const again = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityId === roll.activityId);
          if (!again) return Date.now(); // completed by the time we looked: it ran again already
          const started = again.lastStartedTime?.seconds ? Number(again.lastStartedTime.seconds) * 1000 + Math.floor((again.lastStartedTime.nanos ?? 0) / 1e6) : 0;
          return (again.attempt ?? 0) > attempt && again.state === 2 && started >= killedAt ? started : undefined;
        }, 120_000, 100);
        detections.push((restartedAt - killedAt) / 1000);
        console.log(`kill ${detections.length}/${KILLS}: ${name} rollPod (${roll.activityId}) attempt ${attempt + 1} started ${((restartedAt - killedAt) / 1000).toFixed(1)} s after the SIGKILL`);
      }
      await sleep(50);
    }
    const phase = await eventually(`${name} final`, async () => {
      const r = (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns, name })) as { status?: { phase?: string } };
      return ['Successful', 'Failed', 'Skipped'].includes(r.status?.phase ?? '') ? r.status?.phase : undefined;
    }, 120_000, 200);
    if (phase !== 'Successful') console.log(`${name} ended ${phase}`);
  }
  const p50 = pct(detections, 50);
  const p99 = pct(detections, 99);
  console.log(`worker SIGKILL → step running again: p50 ${p50.toFixed(1)} s, p99 ${p99.toFixed(1)} s, max ${Math.max(...detections).toFixed(1)} s over ${detections.length} kills (target p99 ≤ ${TARGET_P99_S} s: ${p99 <= TARGET_P99_S ? 'met' : 'NOT met'})`);
} finally {
  for (const w of [...workers, watcher]) await w.stop().catch(() => undefined);
  await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
  await client.connection.close();
}
