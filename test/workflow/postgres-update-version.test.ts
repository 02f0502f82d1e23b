// The Postgres UpdateVersion workflow on the real Temporal dev server, with its real activities
// against the real API server and provisioner. kwok's Pods run no Postgres here, so only the sync
// check is replaced (the end-to-end tests run it for real on the local data plane), and the rolls
// here restart the primary in place (primaryUpdateMethod: Restart): a switchover needs SQL on real
// members (test/e2e/postgres-switchover.test.ts).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { UpgradeEvidence } from '../../src/engines/postgres/upgrade-state.ts';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.ts';
import { getCondition } from '../../src/api/conditions.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { progressQuery, type OpsInput, type OpsResult } from '../../src/workflows/shared.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { devServerEnv, opsOutcome, uniqueTaskQueue } from '../support/temporal.ts';
import { workerOptions, workflowsPath } from '../../src/worker/workflow-modules.ts';


describe('postgresUpdateVersion workflow (real Temporal, real API server)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  let o: ReturnType<typeof objects>;
  const taskQueue = uniqueTaskQueue('pguv');
  const syncChecks: string[] = [];

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('pguv');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    env = await devServerEnv();
    const real = createActivities({ kube: makeKube(kubeConfig()), log: createLogger({}, 'warn'), config: { sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 }, temporal: { address: '', namespace: 'default', uiUrl: '', taskQueue } }, pollMs: 200 });
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowsPath, ...workerOptions,
      activities: {
        ...real,
        checkPostgresSync: async (_ns: string, db: string) => {
          syncChecks.push(db);
          if (db === 'killed') throw ApplicationFailure.nonRetryable('no standby streams from killed-0 (failed in this test)');
          return 'replaced in this test: kwok Pods run no Postgres';
        },
        // What a primary killed during pg_upgrade --link shows (its termination message's marker);
        // the real reading of a Pod is proven end to end (test/e2e/postgres-upgrade-failure.test.ts).
        postgresUpgradeEvidence: async (namespace: string, db: string, pod: string): Promise<UpgradeEvidence> => (db === 'killed'
          ? { pod, image: 'postgres:17.11', ready: false, started: true, marker: { state: 'linking', from: 16, to: 17 } }
          : real.postgresUpgradeEvidence(namespace, db, pod)),
      },
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await provisioner?.stop();
    await ns?.remove();
  });

  // A Failed OpsRequest fails its run (src/workflows/failed-runs.ts); opsOutcome reads its result either way.
  const run = (input: OpsInput) => opsOutcome<OpsResult>(env.client.workflow.execute('postgresUpdateVersion', { taskQueue, workflowId: `${taskQueue}-${input.name}`, args: [input] }));

  async function assertUntouched(db: string, image: string): Promise<void> {
    const d = await o.db(db);
    assert.equal(d.metadata.annotations?.[PAUSE_ANNOTATION], undefined, 'never paused');
    const sts = await clients().apps.readNamespacedStatefulSet({ name: db, namespace: ns.name });
    assert.equal(sts.spec?.template.spec?.containers[0]?.image, image);
  }

  describe('validation changes nothing', () => {
    before(async () => { await o.readyPostgres('val', '16.13', 1); });
    const cases: Array<{ name: string; spec: Record<string, unknown>; phase: string; message: RegExp }> = [
      { name: 'unknown-db', spec: { databaseRef: { name: 'nope' }, updateVersion: { targetVersion: '16.15' } }, phase: 'Failed', message: /spec\.databaseRef: Postgres "nope" not found/ },
      { name: 'unknown-target', spec: { databaseRef: { name: 'val' }, updateVersion: { targetVersion: '16.99' } }, phase: 'Failed', message: /targetVersion: 16\.99 is not in the PostgresVersion catalog/ },
      { name: 'downgrade', spec: { databaseRef: { name: 'val' }, updateVersion: { targetVersion: '15.19' } }, phase: 'Failed', message: /older than the current version 16\.13; downgrades are not allowed/ },
      { name: 'same', spec: { databaseRef: { name: 'val' }, updateVersion: { targetVersion: '16.13' } }, phase: 'Skipped', message: /already runs version 16\.13/ },
    ];
    for (const c of cases) {
      it(`${c.name} → ${c.phase}`, async () => {
        const input = await o.pgops(c.name, { type: 'UpdateVersion', ...c.spec });
        const r = await run(input);
        assert.equal(r.phase, c.phase);
        assert.match(r.message, c.message);
        const ops = await o.ops(c.name);
        assert.equal(ops.status?.phase, c.phase);
        assert.match(ops.status?.message ?? '', c.message);
        await assertUntouched('val', 'postgres:16.13');
        // In Temporal: a Failed OpsRequest's run is FAILED with the same message, a Skipped one
        // COMPLETED; OpsflowPhase holds the phase (the Web UI's list filter finds it).
        const d = await env.client.workflow.getHandle(`${taskQueue}-${input.name}`).describe();
        assert.equal(d.status.name, c.phase === 'Failed' ? 'FAILED' : 'COMPLETED');
        assert.deepEqual(d.searchAttributes.OpsflowPhase, [c.phase]);
        if (c.phase === 'Failed') {
          const failure = await env.client.workflow.getHandle(`${taskQueue}-${input.name}`).result().catch((e: unknown) => e);
          assert.equal((failure as { cause?: { message?: string } }).cause?.message, ops.status?.message, 'the failure says what the OpsRequest says');
        }
        if (c.name === 'unknown-db') {
          // The Web UI shows each activity with a summary naming what it acts on.
          const history = await env.client.workflow.getHandle(`${taskQueue}-${input.name}`).fetchHistory();
          const summaries = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.userMetadata?.summary);
          assert.ok(summaries.length > 0 && summaries.every((x) => x?.data?.length), 'every scheduled activity has a summary');
        }
      });
    }

    it('a target outside updateConstraints → Failed, naming the constraint', async () => {
      // A catalog entry (made up for this test) whose allowlist stops at its own major; validation
      // runs before readiness matters, so its Pods need not run.
      const custom = clients().custom;
      const entry = { group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresversions' };
      await custom.deleteClusterCustomObject({ ...entry, name: '16.12' }).catch(() => undefined);
      await custom.createClusterCustomObject({ ...entry, body: {
        apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresVersion', metadata: { name: '16.12' },
        spec: { version: '16.12', db: { image: 'postgres:16.12' }, updateConstraints: { allowlist: ['> 16.12, < 17'] } } } });
      try {
        await o.create('Postgres', 'con', { version: '16.12', replicas: 1 });
        const r = await run(await o.pgops('constraint', { type: 'UpdateVersion', databaseRef: { name: 'con' }, updateVersion: { targetVersion: '17.11' } }));
        assert.equal(r.phase, 'Failed');
        assert.match(r.message, /17\.11 is not allowed by PostgresVersion 16\.12 updateConstraints\.allowlist \[> 16\.12, < 17\]/);
        assert.equal((await o.db('con')).metadata.annotations?.[PAUSE_ANNOTATION], undefined, 'never paused');
      } finally {
        await custom.deleteClusterCustomObject({ ...entry, name: '16.12' }).catch(() => undefined);
      }
    });

    it('spec.apply IfReady fails on a database that does not become Ready within the timeout', async () => {
      await o.create('Postgres', 'broken', { version: '16.13', replicas: 1 });
      // Hold it Paused (as another operation would), so it is not Ready.
      await o.patch('Postgres', 'broken', { metadata: { annotations: { [PAUSE_ANNOTATION]: 'someone-else' } } });
      const r = await run(await o.pgops('ifready', { type: 'UpdateVersion', databaseRef: { name: 'broken' }, updateVersion: { targetVersion: '16.15' }, timeout: '10s', maxRetries: 0 }));
      assert.equal(r.phase, 'Failed');
      assert.match(r.message, /broken did not become Ready \(spec\.apply is IfReady\)/);
      assert.equal((await o.db('broken')).metadata.annotations?.[PAUSE_ANNOTATION], 'someone-else', 'not taken over');
    });
  });

  it('a minor update rolls the standbys then the primary, each Pod once, and resumes', async () => {
    await o.readyPostgres('pg', '16.13', 3);
    const before = await o.podUids('app.kubernetes.io/instance=pg');
    const input = await o.pgops('minor', { type: 'UpdateVersion', databaseRef: { name: 'pg' }, updateVersion: { targetVersion: '16.15' }, primaryUpdateMethod: 'Restart' });
    const handle = await env.client.workflow.start('postgresUpdateVersion', { taskQueue, workflowId: `${taskQueue}-minor`, args: [input] });
    const r = (await handle.result()) as OpsResult;
    assert.equal(r.phase, 'Successful', r.message);
    const progress = await handle.query(progressQuery);
    const names = progress.steps.map((s) => s.name);
    const order = ['Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'UpdateStatefulSet', 'RestartPod-pg-2', 'RestartPod-pg-1', 'RestartPod-pg-0', 'UpdateDatabase', 'ResumeDatabase'];
    const started = [...progress.steps].sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '')).map((s) => s.name);
    assert.deepEqual(started, order, 'steps ran in this order');
    assert.deepEqual([...names].sort(), [...order].sort());
    for (const s of progress.steps) assert.equal(s.state, 'Succeeded', `${s.name}: ${s.message}`);
    const after = await o.podUids('app.kubernetes.io/instance=pg');
    for (const pod of ['pg-0', 'pg-1', 'pg-2']) assert.notEqual(after[pod], before[pod], `${pod} replaced`);
    const sts = await clients().apps.readNamespacedStatefulSet({ name: 'pg', namespace: ns.name });
    assert.equal(sts.spec?.template.spec?.containers[0]?.image, 'postgres:16.15');
    const db = await o.db('pg');
    assert.equal(db.spec.version, '16.15');
    assert.equal(db.metadata.annotations?.[PAUSE_ANNOTATION], undefined);
    assert.equal(getCondition(db.status?.conditions, 'Paused')?.status, 'False');
    const ops = await o.ops('minor');
    assert.equal(ops.status?.phase, 'Successful');
    for (const c of order) assert.equal(getCondition(ops.status?.conditions, c)?.status, 'True', `condition ${c}`);
    assert.equal(syncChecks.filter((d) => d === 'pg').length, 3, 'a sync check after every Pod');
    const events = (await clients().events.listNamespacedEvent({ namespace: ns.name })).items.filter((e) => e.regarding?.name === 'minor');
    assert.ok(events.some((e) => e.reason === 'RestartPod-pg-0'), 'Events on the OpsRequest');
  });

  it('a major upgrade that fails with linking started is not rolled back; the reason joins the failure; resumed, what runs recorded', async () => {
    await o.readyPostgres('killed', '16.13', 1);
    const input = await o.pgops('killed-17', { type: 'UpdateVersion', databaseRef: { name: 'killed' }, updateVersion: { targetVersion: '17.11' } });
    const r = await run(input);
    assert.equal(r.phase, 'Failed');
    // whilePaused joins the clean-up's error to the body's: both are in the OpsRequest.
    assert.match(r.message, /^no standby streams from killed-0 \(failed in this test\); and then killed-0: pg_upgrade --link from 16 to 17 started linking and did not finish/);
    const ops = await o.ops('killed-17');
    assert.equal(ops.status?.phase, 'Failed');
    assert.equal(ops.status?.message, r.message);
    assert.match(getCondition(ops.status?.conditions, 'RollbackDecision')?.message ?? '', /^Refuse: .*not started again/);
    assert.equal(getCondition(ops.status?.conditions, 'RollbackStatefulSet'), undefined, 'no rollback started');
    assert.equal(getCondition(ops.status?.conditions, 'ResumeDatabase')?.status, 'True');
    const sts = await clients().apps.readNamespacedStatefulSet({ name: 'killed', namespace: ns.name });
    assert.equal(sts.spec?.template.spec?.containers[0]?.image, 'postgres:17.11', 'the template stays where the primary is');
    const db = await eventually('killed resumed', async () => {
      const d = await o.db('killed');
      return getCondition(d.status?.conditions, 'Paused')?.status === 'False' ? d : undefined;
    }, 60_000);
    assert.equal((db.status as { applied?: { version?: string } } | undefined)?.applied?.version, '17.11', 'recorded when the template changed');
    assert.equal(db.spec.version, '16.13', 'spec.version is only raised on success');
    await new Promise((res) => setTimeout(res, 3_000)); // a resync or two of the provisioner
    const after = await clients().apps.readNamespacedStatefulSet({ name: 'killed', namespace: ns.name });
    assert.equal(after.spec?.template.spec?.containers[0]?.image, 'postgres:17.11', 'the provisioner renders what runs');
  });

  it('runs one operation per database at a time, in creation order; the later one says what it waits for', async () => {
    await o.readyPostgres('serial', '16.13', 2);
    const first = await o.pgops('serial-a', { type: 'UpdateVersion', databaseRef: { name: 'serial' }, updateVersion: { targetVersion: '16.14' }, primaryUpdateMethod: 'Restart' });
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has one-second resolution
    const second = await o.pgops('serial-b', { type: 'UpdateVersion', databaseRef: { name: 'serial' }, updateVersion: { targetVersion: '16.15' }, apply: 'Always', primaryUpdateMethod: 'Restart' });
    // Start the later one first: it must still wait for the earlier one.
    const hb = await env.client.workflow.start('postgresUpdateVersion', { taskQueue, workflowId: `${taskQueue}-serial-b`, args: [second] });
    const waiting = await eventually('serial-b waiting', async () => {
      const x = await o.ops('serial-b');
      return /waiting for PostgresOpsRequest serial-a/.test(x.status?.message ?? '') ? x : undefined;
    }, 60_000);
    assert.equal(waiting.status?.phase, 'Pending');
    const ha = await env.client.workflow.start('postgresUpdateVersion', { taskQueue, workflowId: `${taskQueue}-serial-a`, args: [first] });
    const [ra, rb] = (await Promise.all([ha.result(), hb.result()])) as OpsResult[];
    assert.equal(ra?.phase, 'Successful', ra?.message);
    assert.equal(rb?.phase, 'Successful', rb?.message);
    const pa = await ha.query(progressQuery);
    const pb = await hb.query(progressQuery);
    const at = (p: typeof pa, step: string, k: 'startedAt' | 'finishedAt') => p.steps.find((x) => x.name === step)?.[k] ?? '';
    assert.ok(at(pa, 'ResumeDatabase', 'finishedAt') <= at(pb, 'PauseDatabase', 'startedAt'), 'the later request paused only after the earlier one resumed');
    assert.match(pb.steps.find((x) => x.name === 'WaitForTurn')?.message ?? '', /waited for serial-a/);
    assert.equal((await o.db('serial')).spec.version, '16.15');
  });

  it('Restart rolls every Pod once, standbys first and the primary last, and resumes', async () => {
    await o.readyPostgres('rs', '16.13', 3);
    const before = await o.podUids('app.kubernetes.io/instance=rs');
    const input = await o.pgops('restart', { type: 'Restart', databaseRef: { name: 'rs' }, primaryUpdateMethod: 'Restart' });
    const handle = await env.client.workflow.start('postgresRestart', { taskQueue, workflowId: `${taskQueue}-restart`, args: [input] });
    const r = (await handle.result()) as OpsResult;
    assert.equal(r.phase, 'Successful', r.message);
    const progress = await handle.query(progressQuery);
    const started = [...progress.steps].sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '')).map((x) => x.name);
    assert.deepEqual(started, ['Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'RestartPod-rs-2', 'RestartPod-rs-1', 'RestartPod-rs-0', 'ResumeDatabase']);
    const after = await o.podUids('app.kubernetes.io/instance=rs');
    for (const pod of ['rs-0', 'rs-1', 'rs-2']) assert.notEqual(after[pod], before[pod], `${pod} restarted`);
    const sts = await clients().apps.readNamespacedStatefulSet({ name: 'rs', namespace: ns.name });
    assert.equal(sts.spec?.template.spec?.containers[0]?.image, 'postgres:16.13', 'same image');
    assert.equal((await o.db('rs')).metadata.annotations?.[PAUSE_ANNOTATION], undefined);
  });
});
