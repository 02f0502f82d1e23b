// The shipped RBAC is sufficient, and the worker is observable: the real watcher and worker
// processes authenticate AS k8s/deploy's ServiceAccounts (TokenRequest tokens), provision a
// Postgres and run a Restart OpsRequest end to end; then the worker's Prometheus endpoint shows
// opsflow's metrics with their labels and the Temporal SDK's, and the JSON logs of both processes
// name the OpsRequest and its workflow id (and never the password).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../devenv/paths.ts';
import { spawnOpsflow } from '../../devenv/process.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { bindDatabaseNamespace, installDeployRbac, serviceAccountKubeconfig } from '../support/deploy.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { pgQuery } from '../support/sql.ts';
import { freePort } from '../support/ports.ts';
import { find, scrape } from '../support/prometheus.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

type Line = Record<string, unknown>;
const jsonLines = (file: string): Line[] => readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

describe('deployed as the k8s/deploy ServiceAccounts: provisioning, a Restart, a Reconfigure, metrics and logs', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let metricsUrl: string;
  const taskQueue = uniqueTaskQueue('deploy');
  const logs = { watcher: '', worker: '' };

  before(async () => {
    await installCrdsAndCatalog();
    await installDeployRbac();
    ns = await tempNamespace('deploy');
    o = objects(ns.name);
    await bindDatabaseNamespace(ns.name);
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const common = { TEMPORAL_ADDRESS: temporalAddress(), OPSFLOW_TASK_QUEUE: taskQueue, OPSFLOW_WATCH_NAMESPACE: ns.name, OPSFLOW_RESYNC_SECONDS: '5' };
    logs.watcher = join(stateDir, 'test-processes', `${ns.name}-watcher.log`);
    logs.worker = join(stateDir, 'test-processes', `${ns.name}-worker.log`);
    // The Lease lives where the shipped Role grants it (opsflow-system), as in a Deployment.
    watcher = spawnOpsflow('watcher', { ...common, OPSFLOW_LEASE_NAMESPACE: 'opsflow-system', KUBECONFIG: await serviceAccountKubeconfig('opsflow-watcher') }, logs.watcher);
    worker = spawnOpsflow('worker', {
      ...common, KUBECONFIG: await serviceAccountKubeconfig('opsflow-worker'), OPSFLOW_METRICS_ADDRESS: `127.0.0.1:${port}`, OPSFLOW_LOG_LEVEL: 'debug',
    }, logs.worker);
  });
  after(async () => {
    await stop(watcher);
    await stop(worker);
    await ns?.remove();
  });

  it('the watcher (as opsflow-watcher) provisions, the worker (as opsflow-worker) restarts; metrics and logs say so', async () => {
    await o.readyPostgres('pg', '16.13', 2);
    const input = await o.pgops('pg-restart', { type: 'Restart', databaseRef: { name: 'pg' } });
    const ops = await eventually('pg-restart finished', async () => {
      const x = await o.ops('pg-restart');
      return ['Successful', 'Failed'].includes(x.status?.phase ?? '') ? x : undefined;
    }, 300_000, 1000);
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    const workflowId = workflowIdFor(input);
    assert.equal(ops.status?.workflow?.id, workflowId);

    // opsflow's metrics from workflow code, with their labels; and the Temporal SDK's own.
    const tags = { kind: 'PostgresOpsRequest', type: 'Restart' };
    const samples = await eventually('opsflow metrics scraped', async () => {
      const s = await scrape(metricsUrl);
      return find(s, 'opsflow_operations_total', { ...tags, outcome: 'Successful' }).length ? s : undefined;
    }, 30_000, 500);
    assert.equal(find(samples, 'opsflow_operations_total', { ...tags, outcome: 'Successful' })[0]?.value, 1);
    assert.equal(find(samples, 'opsflow_pods_rolled_total', tags)[0]?.value, 2, 'two Pods replaced');
    const rolls = find(samples, 'opsflow_step_duration_seconds_count', { ...tags, step: 'RestartPod', state: 'Succeeded' });
    assert.equal(rolls[0]?.value, 2, 'one RestartPod duration per Pod, Pod names folded into the step label');
    const rollSum = find(samples, 'opsflow_step_duration_seconds_sum', { ...tags, step: 'RestartPod', state: 'Succeeded' })[0]?.value ?? 0;
    assert.ok(rollSum > 0.1 && rollSum < 300, `RestartPod took ${rollSum} s in all`);
    assert.ok(find(samples, 'opsflow_step_duration_seconds_bucket', { ...tags, step: 'PauseDatabase', le: '+Inf' }).length, 'histogram buckets');
    assert.ok(find(samples, 'opsflow_operations_total', { workflowType: 'postgresRestart', taskQueue: taskQueue }).length, 'the SDK adds the workflow type and task queue');
    const sdk = samples.filter((s) => s.name.startsWith('temporal_'));
    assert.ok(find(sdk, 'temporal_workflow_completed_total', { workflow_type: 'postgresRestart' }).length, `a Temporal SDK metric; got ${[...new Set(sdk.map((s) => s.name))].join(', ')}`);
    assert.ok(find(sdk, 'temporal_activity_execution_latency_count', { activity_type: 'rollPod' }).length, 'activity latencies');

    // Logs: JSON lines; those about the OpsRequest carry it and its workflow id, from every source.
    const opsRequest = `${ns.name}/pg-restart`;
    const w = jsonLines(logs.watcher);
    const started = w.find((l) => l.msg === 'workflow started');
    assert.equal(started?.opsRequest, opsRequest);
    assert.equal(started?.workflowId, workflowId);
    const k = jsonLines(logs.worker);
    const phase = k.find((l) => l.msg === 'opsrequest phase' && l.phase === 'Successful');
    assert.equal(phase?.opsRequest, opsRequest, 'activity log line');
    assert.equal(phase?.workflowId, workflowId, 'activity log line carries the workflow id from its context');
    assert.equal(phase?.activity, 'recordProgress');
    const sdkLines = k.filter((l) => l.component === 'temporal-sdk' && l.workflowId === workflowId);
    assert.ok(sdkLines.length > 0, 'the SDK logs through the JSON logger');
    assert.ok(sdkLines.every((l) => l.opsRequest === opsRequest), 'SDK lines name the OpsRequest');
    const about = [...w, ...k].filter((l) => JSON.stringify(l).includes('pg-restart'));
    assert.deepEqual(about.filter((l) => l.opsRequest !== opsRequest || l.workflowId !== workflowId), [], 'every line about the OpsRequest names it and its workflow');

    const secret = await clients().core.readNamespacedSecret({ name: 'pg-auth', namespace: ns.name });
    const password = Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
    assert.ok(password.length > 8);
    for (const f of [logs.watcher, logs.worker]) assert.ok(!readFileSync(f, 'utf8').includes(password), `no password in ${f}`);
  });

  it('a Reconfigure as the ServiceAccounts: the worker writes the config Secrets and spec.configSecret', async () => {
    await o.pgops('pg-tune', { type: 'Reconfigure', databaseRef: { name: 'pg' }, configuration: { applyConfig: { 'user.conf': 'work_mem = 16MB\n' } } });
    const ops = await o.finished('PostgresOpsRequest', 'pg-tune', 300_000);
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    const db = await o.db('pg');
    assert.match((db.spec.configSecret as { name?: string } | undefined)?.name ?? '', /^pg-custom-config-/);
    const [row] = await pgQuery<{ work_mem: string }>(ns.name, 'pg', 'pg-1', 'SHOW work_mem');
    assert.equal(row?.work_mem, '16MB');
  });
});
