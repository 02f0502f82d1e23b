// The Postgres HorizontalScaling workflow on the real Temporal dev server, with its real activities
// against the real API server and provisioner. Only the SQL steps are replaced (the sync check and
// the slot drop; end to end they run for real: test/slow/horizontal-scaling.test.ts), recording what
// they were asked. Up, down, refused requests (nothing changed), and a failure after the resize that
// is never undone.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { workerOptions, workflowsPath } from '../../src/worker/workflow-modules.ts';
import { progressQuery, type OpsInput, type OpsResult } from '../../src/workflows/shared.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { devServerEnv, opsOutcome, uniqueTaskQueue } from '../support/temporal.ts';

describe('postgresHorizontalScaling workflow (real Temporal, real API server)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  let o: ReturnType<typeof objects>;
  const taskQueue = uniqueTaskQueue('pghs');
  const calls: string[] = [];
  let failSync = false;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('pghs');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    env = await devServerEnv();
    const real = createActivities({ kube: makeKube(kubeConfig()), log: createLogger({}, 'warn'), config: { sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 }, temporal: { address: '', namespace: 'default', uiUrl: '', taskQueue } }, pollMs: 200 });
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowsPath, ...workerOptions,
      activities: {
        ...real,
        checkPostgresSync: async (_ns: string, db: string, _wait?: number, standbys?: string[]) => {
          calls.push(`sync ${db} ${JSON.stringify(standbys)}`);
          if (failSync) throw ApplicationFailure.nonRetryable('no standby streams (failed in this test)');
          return 'replaced in this test';
        },
        dropPostgresSlots: async (_ns: string, db: string, pods: string[]) => {
          calls.push(`slots ${db} ${JSON.stringify(pods)}`);
          return 'replaced in this test';
        },
      },
    });
    running = worker.run();
    await o.readyPostgres('wf', '16.13', 1);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await provisioner?.stop();
    await ns?.remove();
  });

  const run = (input: OpsInput) => opsOutcome<OpsResult>(env.client.workflow.execute('postgresHorizontalScaling', { taskQueue, workflowId: `${taskQueue}-${input.name}`, args: [input] }));
  const scale = (name: string, replicas: number) => o.pgops(name, { type: 'HorizontalScaling', databaseRef: { name: 'wf' }, horizontalScaling: { replicas }, primaryUpdateMethod: 'Restart' });
  const stsReplicas = async () => (await clients().apps.readNamespacedStatefulSet({ name: 'wf', namespace: ns.name })).spec?.replicas;
  const state = async () => {
    const d = await o.db('wf');
    return { spec: d.spec.replicas, applied: d.status?.applied?.replicas, sts: await stsReplicas(), paused: d.metadata.annotations?.[PAUSE_ANNOTATION] ?? null };
  };
  const resumed = () => eventually('wf Ready and resumed', async () => {
    const d = await o.db('wf');
    return d.status?.phase === 'Ready' && !d.metadata.annotations?.[PAUSE_ANNOTATION] ? true : undefined;
  }, 60_000, 300);

  it('1 → 2: the StatefulSet grows, wf-1 awaited Ready, the sync check asked for wf-1; spec and status.applied follow', async () => {
    calls.length = 0;
    const input = await scale('up', 2);
    const r = await run(input);
    assert.equal(r.phase, 'Successful', r.message);
    assert.deepEqual(await state(), { spec: 2, applied: { 'spec.replicas': 2 }, sts: 2, paused: null });
    assert.deepEqual(calls, ['sync wf ["wf-1"]']);
    const p = await env.client.workflow.getHandle(`${taskQueue}-up`).query(progressQuery);
    assert.deepEqual(p.steps.map((s) => `${s.name}:${s.state}`), [
      'Validate:Succeeded', 'WaitForTurn:Succeeded', 'DatabaseReady:Succeeded', 'Revalidate:Succeeded', 'PauseDatabase:Succeeded',
      'ScaleStatefulSet:Succeeded', 'AddMember-wf-1:Succeeded', 'CheckSync:Succeeded', 'ResumeDatabase:Succeeded',
    ]);
    await resumed();
  });

  it('refused, nothing changed: the current count (Skipped), 12 (a run started without the CRD: Failed, naming the field)', async () => {
    const before = await state();
    const same = await run(await scale('same', 2));
    assert.equal(same.phase, 'Skipped');
    assert.match(same.message, /spec\.horizontalScaling\.replicas: Postgres wf already runs 2 member\(s\)/);
    const made = await scale('big', 2);
    const big = await run({ ...made, spec: { ...made.spec, horizontalScaling: { replicas: 12 } } });
    assert.equal(big.phase, 'Failed');
    assert.match(big.message, /spec\.horizontalScaling\.replicas: 12 is above 9/);
    assert.deepEqual(await state(), before);
  });

  it('2 → 1: wf-1 gone, its slot dropped, the sync check with no standby; the PVC kept', async () => {
    calls.length = 0;
    const r = await run(await scale('down', 1));
    assert.equal(r.phase, 'Successful', r.message);
    assert.deepEqual(await state(), { spec: 1, applied: { 'spec.replicas': 1 }, sts: 1, paused: null });
    assert.deepEqual(calls, ['slots wf ["wf-1"]', 'sync wf []']);
    const pvcs = (await clients().core.listNamespacedPersistentVolumeClaim({ namespace: ns.name })).items.map((c) => c.metadata?.name);
    assert.ok(pvcs.includes('data-wf-1'), `data-wf-1 kept (${pvcs.join(', ')})`);
    await resumed();
  });

  it('a failure after the resize is reported and never undone: Failed, resumed, the new size kept as what runs', async () => {
    failSync = true;
    try {
      const r = await run(await scale('fails', 2));
      assert.equal(r.phase, 'Failed');
      assert.match(r.message, /no standby streams/);
    } finally {
      failSync = false;
    }
    await resumed();
    // The provisioner renders what runs: it does not shrink the StatefulSet back behind the failed run.
    await new Promise((res) => setTimeout(res, 3_000));
    assert.deepEqual(await state(), { spec: 2, applied: { 'spec.replicas': 2 }, sts: 2, paused: null });
  });
});
