// The worker SIGKILLed right after it deleted the primary's Pod (a failpoint), in a Restart without a
// switchover: the replacement has no role label yet and the provisioner is paused, so the retried
// step must label it from the database itself; otherwise the primary Service has no endpoint, the
// standby cannot follow it and the run waits for its sync check until the timeout (found by the
// chaos slice: a standby in CrashLoopBackOff, "the primary ... does not resolve").
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
import { restartingWorkers, startOpsflowProcess, type OpsflowProcess, type RestartingWorkers } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('a worker SIGKILLed right after deleting the primary Pod (Restart, no switchover)', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess | undefined;
  let workers: RestartingWorkers | undefined;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-rc');
  });
  after(async () => {
    await watcher?.stop();
    await workers?.stop();
    await ns?.remove();
  });

  it('the retried step labels the replacement primary from the database; Successful, each Pod replaced once', async () => {
    const o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-rc'), namespace: ns.name };
    const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
    const failEnv = { OPSFLOW_FAILPOINTS: 'rollPod-deleted:rc-0', OPSFLOW_FAILPOINTS_DIR: fired };
    watcher = startOpsflowProcess('watcher', env);
    // A worker that kills itself at the failpoint is replaced at once, like a Deployment would.
    workers = restartingWorkers(env, failEnv);
    await o.readyPostgres('rc', '16.13', 2);

    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=rc');
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'rst' },
      spec: { type: 'Restart', databaseRef: { name: 'rc' }, primaryUpdateMethod: 'Restart', timeout: '3m' },
    }));
    const ops = await o.finished('PostgresOpsRequest', 'rst', 400_000);
    await history.stop();
    assert.equal(ops.status?.phase, 'Successful', `${ops.status?.message}`);
    assert.deepEqual(readdirSync(fired), ['rollPod-deleted:rc-0'], 'the worker was killed right after deleting rc-0');
    assert.ok(workers.starts >= 2, `${workers.starts} worker processes`);
    for (const pod of ['rc-0', 'rc-1']) assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (${history.uids(pod).join(', ')})`);
    const labels = Object.fromEntries((await clients().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=rc' })).items
      .map((p) => [p.metadata?.name, p.metadata?.labels?.['opsflow.dev/role']]));
    assert.deepEqual(labels, { 'rc-0': 'primary', 'rc-1': 'standby' });
    const db = await o.db('rc');
    assert.equal(getCondition(db.status?.conditions, 'Paused')?.status, 'False', 'resumed');
    await eventually('rc Ready', async () => ((await o.db('rc')).status?.phase === 'Ready' ? true : undefined), 60_000);
  });
});
