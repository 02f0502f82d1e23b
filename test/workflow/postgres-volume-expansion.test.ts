// The postgresVolumeExpansion workflow on the real Temporal dev server, the real API server, the
// in-process provisioner and a real Postgres, with the real activities (a fault injected by wrapping
// one): Online grows the claim and keeps the Pod; the same size again is Skipped; an Offline run
// failing after the claim grew ends Failed with the StatefulSet and spec.storage at the new size
// (never shrunk back) and the database resumed.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Activities } from '../../src/activities/index.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { runLookup } from '../../src/temporal/run-lookup.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { workerOptions, workflowsPath } from '../../src/worker/workflow-modules.ts';
import type { OpsInput, OpsResult } from '../../src/workflows/shared.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { devServerEnv, opsOutcome, uniqueTaskQueue } from '../support/temporal.ts';

describe('postgresVolumeExpansion workflow (real Temporal, API server, Postgres)', function () {
  this.timeout(480_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  let o: ReturnType<typeof objects>;
  const taskQueue = uniqueTaskQueue('vx-wf');
  const faults: Partial<Activities> = {};

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('vx-wf');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    env = await devServerEnv();
    const real = createActivities({
      kube: makeKube(kubeConfig()), log: createLogger({}, 'warn'), pollMs: 200, runs: runLookup(env.client),
      config: { sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 }, temporal: { address: '', namespace: 'default', uiUrl: '', taskQueue } },
    });
    const wrapped = Object.fromEntries(Object.entries(real).map(([k, f]) => [k, (...args: unknown[]) => {
      const fault = (faults as Record<string, ((...a: unknown[]) => unknown) | undefined>)[k];
      return fault ? fault(...args) : (f as (...a: unknown[]) => unknown)(...args);
    }]));
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, ...workerOptions, activities: wrapped });
    running = worker.run();
    await o.create('Postgres', 'wv', { version: '16.13', replicas: 1, storage: { storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } } });
    await eventually('wv Ready', async () => ((await o.db('wv')).status?.phase === 'Ready' ? true : undefined), 180_000);
  });
  afterEach(() => { for (const k of Object.keys(faults)) delete (faults as Record<string, unknown>)[k]; });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await provisioner?.stop();
    await ns?.remove();
  });

  const run = async (name: string, mode: 'Online' | 'Offline', size: string) => {
    const input = await o.pgops(name, { type: 'VolumeExpansion', databaseRef: { name: 'wv' }, volumeExpansion: { mode, postgres: size }, maxRetries: 1 });
    const h = await env.client.workflow.start('postgresVolumeExpansion', { taskQueue, workflowId: workflowIdFor(input), args: [input as OpsInput] });
    return opsOutcome<OpsResult>(h.result());
  };
  const claim = async () => {
    const c = await clients().core.readNamespacedPersistentVolumeClaim({ name: 'data-wv-0', namespace: ns.name });
    return [c.spec?.resources?.requests?.storage, c.status?.capacity?.storage];
  };
  const template = async () => (await clients().apps.readNamespacedStatefulSet({ name: 'wv', namespace: ns.name })).spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
  const specSize = async () => ((await o.db('wv')).spec.storage as { resources: { requests: { storage: string } } }).resources.requests.storage;
  const resumed = () => eventually('wv resumed', async () => ((await o.db('wv')).metadata.annotations?.[PAUSE_ANNOTATION] === undefined ? true : undefined), 30_000, 300);

  it('Online: the claim grows under the running Pod; the StatefulSet is created again at 2Gi; spec.storage records it', async () => {
    const uid = (await o.podUids('app.kubernetes.io/instance=wv'))['wv-0'];
    const r = await run('online', 'Online', '2Gi');
    assert.equal(r.phase, 'Successful', r.message);
    assert.deepEqual(await claim(), ['2Gi', '2Gi']);
    assert.equal(await template(), '2Gi');
    assert.equal(await specSize(), '2Gi');
    assert.equal((await o.podUids('app.kubernetes.io/instance=wv'))['wv-0'], uid, 'the Pod ran on');
    const steps = ((await o.ops('online')).status?.conditions ?? []).map((c) => `${c.type}:${c.status}`);
    for (const s of ['ExpandVolume-wv-0:True', 'UpdateStatefulSet:True', 'UpdateDatabase:True', 'ResumeDatabase:True']) assert.ok(steps.includes(s), `${s} in ${steps.join(', ')}`);
    await resumed();
  });

  it('the same size again: Skipped, nothing changed', async () => {
    const r = await run('again', 'Online', '2Gi');
    assert.equal(r.phase, 'Skipped', r.message);
    assert.match(r.message, /every volume of Postgres wv has 2Gi already/);
  });

  it('Offline failing after the claim grew: Failed; StatefulSet and spec.storage at 3Gi (never shrunk back); resumed', async () => {
    faults.rollPod = async () => { throw ApplicationFailure.nonRetryable('the Pod did not come back (injected)'); };
    const r = await run('offline-fails', 'Offline', '3Gi');
    assert.equal(r.phase, 'Failed');
    assert.match(r.message, /the Pod did not come back \(injected\)/);
    assert.equal((await claim())[0], '3Gi');
    assert.equal(await template(), '3Gi');
    assert.equal(await specSize(), '3Gi');
    await resumed();
    // The StatefulSet (created again by the failed run) starts the stopped member; its volume grows at mount.
    await eventually('wv Ready at 3Gi', async () => ((await o.db('wv')).status?.phase === 'Ready' && (await claim())[1] === '3Gi' ? true : undefined), 120_000);
  });
});
