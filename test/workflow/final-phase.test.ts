// The operation template's guarantees on the real Temporal dev server and the real API server:
// every path ends in a final phase on the OpsRequest, and the database is resumed. Faults are
// injected by wrapping the real activities (a Validate that keeps failing, a Resume that fails
// more often than spec.maxRetries allows, a refused status write, a cancel while queued).
import assert from 'node:assert/strict';
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { API_VERSION, GROUP, VERSION } from '../../src/api/common.ts';
import { REQUESTED_BY_ANNOTATION } from '../../src/api/approval.ts';
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
import type { OpsInput, OpsResult, Progress } from '../../src/workflows/shared.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { devServerEnv, opsOutcome, uniqueTaskQueue } from '../support/temporal.ts';

describe('every run ends in a final phase, the database resumed (real Temporal, real API server)', function () {
  this.timeout(480_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  let o: ReturnType<typeof objects>;
  const taskQueue = uniqueTaskQueue('final');
  /** Per-test faults: replaces an activity while set. */
  const faults: Partial<Activities> = {};
  /** The real activities, unwrapped (a fault calls through to them). */
  let real: Activities;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('final');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    env = await devServerEnv();
    real = createActivities({
      kube: makeKube(kubeConfig()), log: createLogger({}, 'warn'), pollMs: 200, runs: runLookup(env.client),
      config: { sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 }, temporal: { address: '', namespace: 'default', uiUrl: '', taskQueue } },
    });
    const wrapped = Object.fromEntries(Object.entries(real).map(([k, f]) => [k, (...args: unknown[]) => {
      const fault = (faults as Record<string, ((...a: unknown[]) => unknown) | undefined>)[k];
      return fault ? fault(...args) : (f as (...a: unknown[]) => unknown)(...args);
    }]));
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowsPath, ...workerOptions,
      activities: { ...wrapped, checkPostgresSync: async () => 'replaced in this test: the sync check is not under test' },
    });
    running = worker.run();
    await o.readyPostgres('fp', '16.13', 1);
  });
  afterEach(() => { for (const k of Object.keys(faults)) delete (faults as Record<string, unknown>)[k]; });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await provisioner?.stop();
    await ns?.remove();
  });

  // The id the watcher would use: WaitForTurn looks runs up by it.
  const start = (input: OpsInput, type = 'postgresRestart') => env.client.workflow.start(type, { taskQueue, workflowId: workflowIdFor(input), args: [input] });
  const restart = (name: string, extra: Record<string, unknown> = {}) => o.pgops(name, { type: 'Restart', databaseRef: { name: 'fp' }, ...extra });
  async function assertResumed(): Promise<void> {
    await eventually('fp resumed', async () => ((await o.db('fp')).metadata.annotations?.[PAUSE_ANNOTATION] === undefined ? true : undefined), 30_000, 300);
  }

  it('Validate failing after its retries → Failed, naming the error; nothing changed', async () => {
    faults.validatePostgresRestart = async () => { throw new Error('the API server said no (injected)'); };
    const r = await opsOutcome<OpsResult>((await start(await restart('val-fails', { maxRetries: 0 }))).result());
    assert.equal(r.phase, 'Failed');
    assert.match(r.message, /the API server said no \(injected\); nothing was changed/);
    const ops = await o.ops('val-fails');
    assert.equal(ops.status?.phase, 'Failed');
    assert.match(ops.status?.message ?? '', /injected/);
    await assertResumed();
  });

  it('Resume failing more often than spec.maxRetries allows still resumes, and the run ends Successful', async () => {
    let attempts = 0;
    const realResume = real.resumeDatabase;
    faults.resumeDatabase = async (...a) => {
      attempts++;
      if (attempts <= 3) throw new Error(`API server unavailable (injected, attempt ${attempts})`);
      return realResume(...a);
    };
    const r = await opsOutcome<OpsResult>((await start(await restart('resume-retries', { maxRetries: 0 }))).result());
    assert.equal(r.phase, 'Successful', r.message);
    assert.equal(attempts, 4, 'retried past maxRetries until it worked');
    assert.equal((await o.ops('resume-retries')).status?.phase, 'Successful');
    await assertResumed();
  });

  it('a status write refused for good does not fail the run: the final phase is still written', async () => {
    const realRecord = real.recordProgress;
    faults.recordProgress = async (ref, p: Progress) => {
      if (p.phase === 'Progressing') throw ApplicationFailure.nonRetryable('status refused (injected)');
      return realRecord(ref, p);
    };
    const r = await opsOutcome<OpsResult>((await start(await restart('status-refused', { maxRetries: 0 }))).result());
    assert.equal(r.phase, 'Successful', r.message);
    assert.equal((await o.ops('status-refused')).status?.phase, 'Successful');
    await assertResumed();
  });

  it('a cancel while queued ends Failed (nothing changed); a request whose run closed never holds the queue', async () => {
    // The first request waits for approval: its run is open and holds the queue. The admission
    // policy wants the creating user named as its requester.
    const me = (await kubeConfig().makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })).status?.userInfo?.username ?? '';
    const created = (await clients().custom.createNamespacedCustomObject({
      group: GROUP, version: VERSION, plural: 'postgresopsrequests', namespace: ns.name,
      body: { apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name: 'a-holder', annotations: { [REQUESTED_BY_ANNOTATION]: me } }, spec: { type: 'Restart', databaseRef: { name: 'fp' }, approval: 'Required' } },
    })) as { metadata: { uid: string }; spec: OpsInput['spec'] };
    const first: OpsInput = { kind: 'PostgresOpsRequest', namespace: ns.name, name: 'a-holder', uid: created.metadata.uid, spec: created.spec };
    const holder = await start(first);
    await eventually('a-holder waiting for approval', async () => ((await o.ops('a-holder')).status?.phase === 'WaitingForApproval' ? true : undefined), 30_000, 300);
    const queued = await start(await restart('b-cancelled'));
    await eventually('b-cancelled waiting for its turn', async () => (/waiting for PostgresOpsRequest a-holder/.test((await o.ops('b-cancelled')).status?.message ?? '') ? true : undefined), 30_000, 300);
    await queued.cancel();
    await assert.rejects(queued.result());
    const b = await o.ops('b-cancelled');
    assert.equal(b.status?.phase, 'Failed');
    assert.match(b.status?.message ?? '', /cancelled .*before any change/);
    // Terminated from outside (e.g. the Web UI): its OpsRequest still says WaitingForApproval, but
    // its run is closed, so the next request does not wait for it.
    await holder.terminate('injected: terminated from the Web UI');
    assert.equal((await o.ops('a-holder')).status?.phase, 'WaitingForApproval');
    const r = await opsOutcome<OpsResult>((await start(await restart('c-after'))).result());
    assert.equal(r.phase, 'Successful', r.message);
    await assertResumed();
  });

  it('a run started with a timeout outside the bounds (bypassing the CRD) ends Failed naming spec.timeout', async () => {
    const input = await restart('bad-timeout');
    const r = await opsOutcome<OpsResult>((await start({ ...input, spec: { ...input.spec, timeout: '500ms' } })).result());
    assert.equal(r.phase, 'Failed');
    assert.match(r.message, /spec\.timeout: "500ms" is outside 10s \.\. 24h/);
    assert.equal((await o.ops('bad-timeout')).status?.phase, 'Failed');
  });
});
