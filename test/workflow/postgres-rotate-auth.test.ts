// The Postgres RotateAuth workflow on the real Temporal dev server, with its real Validate activity
// against the real API server and provisioner. kwok's Pods run no Postgres here, so the steps that
// log in (the Secret write checks which password works, ALTER ROLE, the passfiles, the sync check)
// are recorded instead; the end-to-end test runs them for real (test/e2e/postgres-rotate-auth.test.ts).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
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

describe('postgresRotateAuth workflow (real Temporal, real API server)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  let o: ReturnType<typeof objects>;
  const taskQueue = uniqueTaskQueue('pgra');
  const calls: string[] = [];

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('pgra');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    env = await devServerEnv();
    const real = createActivities({ kube: makeKube(kubeConfig()), log: createLogger({}, 'warn'), config: { sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 }, temporal: { address: '', namespace: 'default', uiUrl: '', taskQueue } }, pollMs: 200 });
    const record = (name: string) => async (...args: unknown[]) => {
      calls.push(`${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`);
      if (name === 'alterPostgresRole' && args[1] === 'fails') throw ApplicationFailure.nonRetryable('ALTER ROLE refused (failed in this test)');
      return `${name}: recorded in this test`;
    };
    worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowsPath, ...workerOptions,
      activities: {
        ...real,
        updatePostgresAuthSecret: record('updatePostgresAuthSecret'),
        alterPostgresRole: record('alterPostgresRole'),
        updatePostgresPassfiles: record('updatePostgresPassfiles'),
        checkPostgresSync: record('checkPostgresSync'),
      },
    });
    running = worker.run();
    await o.readyPostgres('pg', '16.13', 2);
    await o.readyPostgres('fails', '16.13', 1);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await provisioner?.stop();
    await ns?.remove();
  });

  const run = (input: OpsInput) => opsOutcome<OpsResult>(env.client.workflow.execute('postgresRotateAuth', { taskQueue, workflowId: `${taskQueue}-${input.name}`, args: [input] }));
  const authRv = async (db: string) => (await clients().core.readNamespacedSecret({ name: `${db}-auth`, namespace: ns.name })).metadata?.resourceVersion;
  const secret = (name: string, data: Record<string, string>) => clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: data } });

  it('refusals name the field and change nothing (the real Validate activity)', async () => {
    const current = Buffer.from((await clients().core.readNamespacedSecret({ name: 'pg-auth', namespace: ns.name })).data?.password ?? '', 'base64').toString();
    await secret('nokey', { username: 'postgres' });
    await secret('same', { password: current });
    await secret('short', { password: 'abc' });
    const rv = await authRv('pg');
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no-db', { databaseRef: { name: 'nope' } }, /^spec\.databaseRef: Postgres "nope" not found/],
      ['missing', { databaseRef: { name: 'pg' }, authentication: { secretRef: { name: 'gone' } } }, /^spec\.authentication\.secretRef\.name: Secret "gone" not found in namespace/],
      ['nokey', { databaseRef: { name: 'pg' }, authentication: { secretRef: { name: 'nokey' } } }, /^spec\.authentication\.secretRef\.name \(Secret "nokey"\): the key "password" is missing or empty/],
      ['short', { databaseRef: { name: 'pg' }, authentication: { secretRef: { name: 'short' } } }, /shorter than 8 characters/],
      ['same', { databaseRef: { name: 'pg' }, authentication: { secretRef: { name: 'same' } } }, /^spec\.authentication\.secretRef\.name: Secret "same" holds the password the database already uses; nothing to rotate/],
      ['self', { databaseRef: { name: 'pg' }, authentication: { secretRef: { name: 'pg-auth' } } }, /is the database's own auth Secret/],
    ];
    for (const [name, spec, message] of cases) {
      const r = await run(await o.pgops(`refuse-${name}`, { type: 'RotateAuth', ...spec }));
      assert.equal(r.phase, 'Failed', name);
      assert.match(r.message, message, name);
    }
    assert.equal(await authRv('pg'), rv, 'the auth Secret was not written');
    assert.equal((await o.db('pg')).metadata.annotations?.[PAUSE_ANNOTATION], undefined, 'never paused');
    assert.deepEqual(calls, [], 'no step ran');
  });

  it('runs Secret → role → passfiles → sync check while paused, restarts no Pod, and carries only names', async () => {
    await secret('given', { password: 'a-new-password-1' });
    const before = await o.podUids('app.kubernetes.io/instance=pg');
    const input = await o.pgops('rotate', { type: 'RotateAuth', databaseRef: { name: 'pg' }, authentication: { secretRef: { name: 'given' } } });
    const handle = await env.client.workflow.start('postgresRotateAuth', { taskQueue, workflowId: `${taskQueue}-rotate`, args: [input] });
    const r = (await handle.result()) as OpsResult;
    assert.equal(r.phase, 'Successful', r.message);
    assert.match(r.message, /rotated \(from Secret given\); the previous one is kept as password\.prev in Secret pg-auth; no Pod restarted/);
    const progress = await handle.query(progressQuery);
    const order = ['Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'UpdateSecret', 'UpdateRole', 'UpdateReplicationCredentials', 'CheckReplication', 'ResumeDatabase'];
    assert.deepEqual([...progress.steps].sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '')).map((s) => s.name), order);
    assert.deepEqual(calls, [
      `updatePostgresAuthSecret("${ns.name}", "pg", "${input.uid}", "given")`,
      `alterPostgresRole("${ns.name}", "pg")`,
      `updatePostgresPassfiles("${ns.name}", "pg", ["pg-0","pg-1"])`,
      `checkPostgresSync("${ns.name}", "pg")`,
    ]);
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=pg'), before, 'no Pod replaced');
    const ops = await o.ops('rotate');
    for (const c of order) assert.equal(getCondition(ops.status?.conditions, c)?.status, 'True', `condition ${c}`);
    assert.equal(getCondition((await o.db('pg')).status?.conditions, 'Paused')?.status, 'False', 'resumed');
  });

  it('a failed ALTER ROLE fails the request with the reason and resumes the database', async () => {
    calls.length = 0;
    const r = await run(await o.pgops('rotate-fails', { type: 'RotateAuth', databaseRef: { name: 'fails' } }));
    assert.equal(r.phase, 'Failed');
    assert.match(r.message, /ALTER ROLE refused \(failed in this test\)/);
    assert.deepEqual(calls.map((c) => c.split('(')[0]), ['updatePostgresAuthSecret', 'alterPostgresRole'], 'nothing after the failed step');
    await eventually('fails resumed', async () => (getCondition((await o.db('fails')).status?.conditions, 'Paused')?.status === 'False' ? true : undefined), 60_000);
  });
});
