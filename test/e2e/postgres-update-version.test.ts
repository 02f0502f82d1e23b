// End to end on the local cluster with its data plane (real Postgres processes behind the Pods):
// `kubectl apply` of an OpsRequest → watcher process → workflow on the real Temporal dev server →
// worker process → Pods rolled one at a time with real sync checks. Plus crash tests that SIGKILL
// the worker and the watcher mid-rollout.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';
import { startTemporal, stopTemporal, type TemporalServerOptions } from '../../devenv/temporal.ts';
import { freePort } from '../support/ports.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pods = (db: string) => [0, 1, 2].map((i) => `${db}-${i}`);

describe('Postgres UpdateVersion end to end (watcher and worker processes, real Postgres)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;
  let env: { temporalAddress: string; taskQueue: string; namespace: string };

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-pg');
    o = objects(ns.name);
    env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  async function apply(obj: object): Promise<void> {
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  }

  async function readyDatabase(name: string, version: string): Promise<void> {
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name }, spec: { version, replicas: 3 } });
    await eventually(`${name} Ready`, async () => ((await o.db(name)).status?.phase === 'Ready' ? true : undefined), 300_000, 1000);
    await eventually(`${name}: both standbys streaming`, async () => {
      const rows = await pgQuery<{ application_name: string; state: string }>(ns.name, name, `${name}-0`, 'SELECT application_name, state FROM pg_stat_replication');
      return rows.filter((r) => r.state === 'streaming').length === 2 ? true : undefined;
    }, 120_000, 1000);
    await pgQuery(ns.name, name, `${name}-0`, 'CREATE TABLE marks (id int primary key, note text)');
    await pgQuery(ns.name, name, `${name}-0`, "INSERT INTO marks SELECT g, 'before the update' FROM generate_series(1, 500) g");
  }

  async function updateVersion(opsName: string, db: string, target: string, during?: (step: string) => Promise<void>): Promise<void> {
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: opsName }, spec: { type: 'UpdateVersion', databaseRef: { name: db }, updateVersion: { targetVersion: target }, timeout: '5m' } });
    if (during) {
      // Wait until the second Pod's restart is under way, then do the damage.
      const step = await eventually(`${opsName}: rollout under way`, async () => {
        const ops = await o.ops(opsName);
        const running = ops.status?.conditions?.filter((c) => c.type.startsWith('RestartPod-') && c.status === 'Unknown').map((c) => c.type);
        const done = ops.status?.conditions?.filter((c) => c.type.startsWith('RestartPod-') && c.status === 'True').length ?? 0;
        return running?.length && done >= 1 ? running[0] : undefined;
      }, 300_000, 200);
      await during(step);
    }
    const ops = await eventually(`${opsName} finished`, async () => {
      const x = await o.ops(opsName);
      return ['Successful', 'Failed', 'Skipped'].includes(x.status?.phase ?? '') ? x : undefined;
    }, 600_000, 1000);
    assert.equal(ops.status?.phase, 'Successful', `${ops.status?.message} ${JSON.stringify(ops.status?.conditions?.filter((c) => c.status !== 'True'))}`);
  }

  async function assertUpdated(db: string, target: string, history: Awaited<ReturnType<typeof watchPodUids>>): Promise<void> {
    for (const pod of pods(db)) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
      const [v] = await pgQuery<{ server_version: string }>(ns.name, db, pod, 'SHOW server_version');
      assert.equal(v?.server_version.split(' ')[0], target, `${pod} runs ${target}`);
    }
    const primary = await o.primary(db);
    const [count] = await pgQuery<{ n: string }>(ns.name, db, primary, 'SELECT count(*)::text AS n FROM marks');
    assert.equal(count?.n, '500', `rows written before the update are there on the primary ${primary}`);
    for (const standby of pods(db).filter((p) => p !== primary)) {
      await eventually(`the rows on the standby ${standby}`, async () => {
        const [c] = await pgQuery<{ n: string }>(ns.name, db, standby, 'SELECT count(*)::text AS n FROM marks');
        return c?.n === '500' ? true : undefined;
      }, 60_000, 500);
    }
    const d = await o.db(db);
    assert.equal(d.spec.version, target);
    assert.equal(getCondition(d.status?.conditions, 'Paused')?.status, 'False', 'the database is resumed');
  }

  it('minor update 16.13 → 16.15 via kubectl apply: each Pod replaced once, data kept', async () => {
    await readyDatabase('minor', '16.13');
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=minor');
    await updateVersion('minor-up', 'minor', '16.15');
    await assertUpdated('minor', '16.15', history);
    assert.equal(await o.primary('minor'), 'minor-1', 'a minor update switches the primary over to an updated standby (the default)');
    await history.stop();
  });

  it('major update 15.19 → 16.15 (old binaries copied, pg_upgrade --link, standbys re-cloned)', async () => {
    await readyDatabase('major', '15.19');
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=major');
    await updateVersion('major-up', 'major', '16.15');
    await assertUpdated('major', '16.15', history);
    assert.equal(await o.primary('major'), 'major-0', 'a major upgrade keeps its primary (pg_upgrade there first)');
    const ops = await o.ops('major-up');
    assert.equal(getCondition(ops.status?.conditions, 'CopiedOldBinaries')?.status, 'True');
    await history.stop();
  });

  it('a major update whose pg_upgrade --check fails ends Failed with the reason; data and version stay; resumed', async () => {
    // A real pg_upgrade blocker: a prepared transaction left in the old cluster.
    await clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'pgfail-conf' }, stringData: { 'user.conf': 'max_prepared_transactions = 5\n' } } });
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pgfail' }, spec: { version: '15.19', replicas: 1, configSecret: { name: 'pgfail-conf' } } });
    await eventually('pgfail Ready', async () => ((await o.db('pgfail')).status?.phase === 'Ready' ? true : undefined), 300_000, 1000);
    await pgQuery(ns.name, 'pgfail', 'pgfail-0', 'CREATE TABLE marks (id int primary key)');
    await pgQuery(ns.name, 'pgfail', 'pgfail-0', 'INSERT INTO marks SELECT generate_series(1, 100)');
    await pgQuery(ns.name, 'pgfail', 'pgfail-0', "BEGIN; INSERT INTO marks VALUES (1000); PREPARE TRANSACTION 'blocker';");
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'pgfail-up' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'pgfail' }, updateVersion: { targetVersion: '16.15' }, timeout: '3m' } });
    const ops = await eventually('pgfail-up finished', async () => {
      const x = await o.ops('pgfail-up');
      return ['Successful', 'Failed'].includes(x.status?.phase ?? '') ? x : undefined;
    }, 600_000, 1000);
    assert.equal(ops.status?.phase, 'Failed');
    assert.match(ops.status?.message ?? '', /prepared transactions/i, 'pg_upgrade\'s reason');
    assert.equal(getCondition(ops.status?.conditions, 'RollbackStatefulSet')?.status, 'True');
    const db = await eventually('pgfail resumed and Ready', async () => {
      const d = await o.db('pgfail');
      return getCondition(d.status?.conditions, 'Paused')?.status === 'False' && d.status?.phase === 'Ready' ? d : undefined;
    }, 120_000, 1000);
    assert.equal(db.spec.version, '15.19');
    const [v] = await pgQuery<{ server_version: string }>(ns.name, 'pgfail', 'pgfail-0', 'SHOW server_version');
    assert.match(v?.server_version ?? '', /^15\.19/);
    const [n] = await pgQuery<{ n: string }>(ns.name, 'pgfail', 'pgfail-0', 'SELECT count(*)::text AS n FROM marks');
    assert.equal(n?.n, '100');
    const [px] = await pgQuery<{ gid: string }>(ns.name, 'pgfail', 'pgfail-0', 'SELECT gid FROM pg_prepared_xacts');
    assert.equal(px?.gid, 'blocker', 'the old cluster is exactly as it was');
  });

  it('Restart via kubectl apply: every Pod restarted once (standbys first), same version, data kept', async () => {
    await readyDatabase('rst', '16.13');
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=rst');
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'rst-restart' }, spec: { type: 'Restart', databaseRef: { name: 'rst' } } });
    const ops = await eventually('rst-restart finished', async () => {
      const x = await o.ops('rst-restart');
      return ['Successful', 'Failed'].includes(x.status?.phase ?? '') ? x : undefined;
    }, 600_000, 1000);
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    await assertUpdated('rst', '16.13', history);
    const started = (c: string) => getCondition(ops.status?.conditions, c)?.lastTransitionTime ?? '';
    assert.ok(started('RestartPod-rst-2') <= started('Switchover') && started('Switchover') <= started('RestartPod-rst-0'), 'standbys, Switchover, then the old primary');
    assert.equal(await o.primary('rst'), 'rst-1');
  });

  it('crash: the worker is SIGKILLed mid-rollout, a new one finishes the run; each Pod replaced once', async () => {
    await readyDatabase('wcrash', '16.13');
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=wcrash');
    await updateVersion('wcrash-up', 'wcrash', '16.14', async () => {
      await worker.kill();
      await new Promise((r) => setTimeout(r, 2_000));
      worker = startOpsflowProcess('worker', env, 'worker-2');
    });
    await assertUpdated('wcrash', '16.14', history);
    await history.stop();
  });

  it('crash: the watcher is SIGKILLed mid-rollout and restarted; still one run, Successful', async () => {
    await readyDatabase('vcrash', '16.13');
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=vcrash');
    await updateVersion('vcrash-up', 'vcrash', '16.14', async () => {
      await watcher.kill();
      watcher = startOpsflowProcess('watcher', env, 'watcher-2');
    });
    await assertUpdated('vcrash', '16.14', history);
    await history.stop();
  });

  it('crash: the Temporal server is stopped mid-rollout and restarted on the same SQLite file; the run ends Successful', async () => {
    // A Temporal server of this test's own, so restarting it disturbs nothing else.
    const server: TemporalServerOptions = {
      host: '127.0.0.1', port: await freePort(), uiPort: await freePort(), namespace: 'default',
      dbFile: join(mkdtempSync(join(tmpdir(), 'opsflow-temporal-')), 'temporal.sqlite'),
    };
    await startTemporal(server);
    const ownEnv = { ...env, temporalAddress: `127.0.0.1:${server.port}`, taskQueue: uniqueTaskQueue('e2e-restart') };
    // The suite's watcher would also start runs for this namespace on the other server: stop it for this test.
    await watcher.stop();
    const ownWatcher = startOpsflowProcess('watcher', ownEnv, 'watcher-restart');
    const ownWorker = startOpsflowProcess('worker', ownEnv, 'worker-restart');
    try {
      await readyDatabase('tcrash', '16.13');
      const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=tcrash');
      await updateVersion('tcrash-up', 'tcrash', '16.14', async () => {
        await stopTemporal(server);
        await new Promise((r) => setTimeout(r, 3_000));
        await startTemporal(server);
      });
      await assertUpdated('tcrash', '16.14', history);
      await history.stop();
    } finally {
      await ownWatcher.stop();
      await ownWorker.stop();
      await stopTemporal(server);
      watcher = startOpsflowProcess('watcher', env, 'watcher-3');
    }
  });
});
