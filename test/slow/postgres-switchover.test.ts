// Switchover-based rolling end to end (watcher + worker processes, real Postgres): a Restart of a
// 3-member Postgres rolls the standbys, switches the primary over to pg-1 and restarts pg-0 as its
// standby, while the worker process is SIGKILLed at every step of the switchover (failpoints: each
// point kills the real worker once; a new worker takes the retry one point further) and a watcher
// polls every member: never two primaries. In test/slow: 4.6 min at a load average of ~14 on this
// 2-core machine, 10 min at ~30 (7 kills, each costing the 10 s heartbeat timeout plus the retry
// back-off); the e2e budget wants ~4.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { watchPrimaries } from '../support/primaries.ts';
import { prebuiltWorkflowBundle, restartingWorkers, startOpsflowProcess, type OpsflowProcess, type RestartingWorkers } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const FAILPOINTS = ['switchover-before-checkpoint', 'switchover-checkpointed', 'switchover-decided', 'switchover-demoted',
  'switchover-stopping', 'switchover-promoted', 'switchover-repointed'];

describe('Postgres switchover end to end (worker killed at every step of the switchover)', function () {
  this.timeout(1_200_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess;
  let workers: RestartingWorkers | undefined;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-so');
  });
  after(async () => {
    await watcher?.stop();
    await workers?.stop();
    await ns?.remove();
  });

  it('Restart with a switchover: pg-1 becomes primary, pg-0 rejoins as its standby, each Pod restarted once, never two primaries', async () => {
    const o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-so'), namespace: ns.name };
    const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
    // One workflow bundle for every worker process: a restarted worker starts without bundling.
    const bundle = join(fired, '..', `${ns.name}-workflow-bundle.js`);
    const failEnv = { OPSFLOW_FAILPOINTS: FAILPOINTS.join(','), OPSFLOW_FAILPOINTS_DIR: fired, ...(await prebuiltWorkflowBundle(bundle)) };
    watcher = startOpsflowProcess('watcher', env);
    // Two workers, like a Deployment with two replicas: a worker that kills itself at a failpoint is
    // replaced at once, and the retry goes to the one still running (a worker takes longer to
    // start than the heartbeat timeout on this machine). Either fires the next failpoint.
    workers = restartingWorkers(env, failEnv, 2);

    await o.readyPostgres('pg', '16.13', 3);
    await eventually('both standbys streaming', async () => {
      const rows = await pgQuery<{ state: string }>(ns.name, 'pg', 'pg-0', 'SELECT state FROM pg_stat_replication');
      return rows.filter((r) => r.state === 'streaming').length === 2 ? true : undefined;
    }, 120_000, 500);
    await pgQuery(ns.name, 'pg', 'pg-0', 'CREATE TABLE marks (id int primary key)');
    await pgQuery(ns.name, 'pg', 'pg-0', 'INSERT INTO marks SELECT generate_series(1, 500)');

    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    const primaries = await watchPrimaries(ns.name, 'pg', ['pg-0', 'pg-1', 'pg-2']);
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'rst' },
      spec: { type: 'Restart', databaseRef: { name: 'pg' }, timeout: '5m' }, // a switchover: the default
    }));
    const ops = await o.finished('PostgresOpsRequest', 'rst', 900_000);
    await primaries.stop();
    await history.stop();
    assert.equal(ops.status?.phase, 'Successful', `${ops.status?.message} ${JSON.stringify(ops.status?.conditions?.filter((c) => c.status !== 'True'))}`);

    // The failpoints live in the Switchover step: without one (e.g. primaryUpdateMethod Restart) none fires.
    assert.match(getCondition(ops.status?.conditions, 'Switchover')?.message ?? '', /pg-1 is the primary/, 'the run had a Switchover step');
    assert.deepEqual(readdirSync(fired).sort(), [...FAILPOINTS].sort(), 'the worker was killed at every failpoint');
    assert.ok(workers.starts >= FAILPOINTS.length + 2, `${workers.starts} worker processes`);
    assert.deepEqual(primaries.violations(), [], 'never two primaries');
    assert.ok(primaries.rounds() > 20, `the members were polled (${primaries.rounds()} rounds)`);

    const db = await o.db('pg');
    assert.equal((db.status as { primary?: string } | undefined)?.primary, 'pg-1', 'status.primary');
    assert.equal(getCondition(db.status?.conditions, 'Paused')?.status, 'False', 'resumed');
    const recovery = async (pod: string) => (await pgQuery<{ r: boolean }>(ns.name, 'pg', pod, 'SELECT pg_is_in_recovery() AS r'))[0]?.r;
    assert.deepEqual([await recovery('pg-0'), await recovery('pg-1'), await recovery('pg-2')], [true, false, true], 'exactly one primary: pg-1');
    const labels = await eventually('role labels', async () => {
      const ps = (await clients().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=pg' })).items;
      const r = Object.fromEntries(ps.map((p) => [p.metadata?.name, p.metadata?.labels?.['opsflow.dev/role']]));
      return r['pg-1'] === 'primary' ? r : undefined;
    });
    assert.deepEqual(labels, { 'pg-0': 'standby', 'pg-1': 'primary', 'pg-2': 'standby' });
    for (const pod of ['pg-0', 'pg-1', 'pg-2']) assert.equal(history.uids(pod).length, 2, `${pod} restarted exactly once (${history.uids(pod).join(', ')})`);
    const started = (c: string) => getCondition(ops.status?.conditions, c)?.lastTransitionTime ?? '';
    assert.ok(started('RestartPod-pg-1') <= started('Switchover') && started('Switchover') <= started('RestartPod-pg-0'), 'standbys, Switchover, then the old primary');
    assert.match(getCondition(ops.status?.conditions, 'Switchover')?.message ?? '', /pg-1 is the primary/);

    // The data is all there and the new primary's writes reach both standbys.
    await pgQuery(ns.name, 'pg', 'pg-1', 'INSERT INTO marks VALUES (501)');
    for (const pod of ['pg-0', 'pg-2']) {
      await eventually(`${pod} has every row`, async () => {
        const [c] = await pgQuery<{ n: string }>(ns.name, 'pg', pod, 'SELECT count(*)::text AS n FROM marks');
        return c?.n === '501' ? true : undefined;
      }, 60_000, 500);
    }
    const repl = await pgQuery<{ application_name: string; state: string }>(ns.name, 'pg', 'pg-1', 'SELECT application_name, state FROM pg_stat_replication ORDER BY 1');
    assert.deepEqual(repl.map((r) => `${r.application_name}:${r.state}`), ['pg-0:streaming', 'pg-2:streaming']);
  });
});
