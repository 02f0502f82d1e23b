// The worker SIGKILLed mid-expansion (Offline): right after it orphaned the StatefulSet and stopped
// the Pod, before the claim was asked to grow. The retried step, on a new worker, finds the
// StatefulSet gone and the Pod stopped, grows the claim and creates the StatefulSet again from the
// manifest carried in the history: Successful, the claim at the new size, the Pod replaced once,
// the StatefulSet back at the new size, the database resumed and Ready.
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
import { prebuiltWorkflowBundle, restartingWorkers, startOpsflowProcess, type OpsflowProcess, type RestartingWorkers } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('a worker SIGKILLed mid-VolumeExpansion (Offline, StatefulSet orphaned, Pod stopped)', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess | undefined;
  let workers: RestartingWorkers | undefined;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-vxc');
  });
  after(async () => {
    await watcher?.stop();
    await workers?.stop();
    await ns?.remove();
  });

  it('the retried step grows the claim and creates the StatefulSet again; Successful, the Pod replaced once', async () => {
    const o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-vxc'), namespace: ns.name };
    const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
    const failEnv = { OPSFLOW_FAILPOINTS: 'growClaimOffline-stopped:vxc-0', OPSFLOW_FAILPOINTS_DIR: fired };
    watcher = startOpsflowProcess('watcher', env);
    // A prebuilt bundle: a replacement worker starts in seconds.
    const bundle = await prebuiltWorkflowBundle(join(mkdtempSync(join(tmpdir(), 'opsflow-bundle-')), 'workflows.js'));
    workers = restartingWorkers(env, { ...failEnv, ...bundle });
    await o.create('Postgres', 'vxc', { version: '16.13', replicas: 1, storage: { storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } } });
    await eventually('vxc Ready', async () => ((await o.db('vxc')).status?.phase === 'Ready' ? true : undefined), 180_000);

    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=vxc');
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'grow' },
      spec: { type: 'VolumeExpansion', databaseRef: { name: 'vxc' }, volumeExpansion: { mode: 'Offline', postgres: '2Gi' }, timeout: '3m' },
    }));
    const ops = await o.finished('PostgresOpsRequest', 'grow', 400_000);
    await history.stop();
    assert.equal(ops.status?.phase, 'Successful', `${ops.status?.message}`);
    assert.deepEqual(readdirSync(fired), ['growClaimOffline-stopped:vxc-0'], 'the worker was killed with the StatefulSet orphaned and the Pod stopped');
    assert.ok(workers.starts >= 2, `${workers.starts} worker processes`);
    assert.equal(history.uids('vxc-0').length, 2, `vxc-0 replaced exactly once (${history.uids('vxc-0').join(', ')})`);
    const pvc = await clients().core.readNamespacedPersistentVolumeClaim({ name: 'data-vxc-0', namespace: ns.name });
    assert.deepEqual([pvc.spec?.resources?.requests?.storage, pvc.status?.capacity?.storage], ['2Gi', '2Gi']);
    const sts = await clients().apps.readNamespacedStatefulSet({ name: 'vxc', namespace: ns.name });
    assert.equal(sts.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage, '2Gi');
    assert.equal(sts.metadata?.ownerReferences?.[0]?.kind, 'Postgres', 'created again with its owner');
    const db = await o.db('vxc');
    assert.equal(getCondition(db.status?.conditions, 'Paused')?.status, 'False', 'resumed');
    await eventually('vxc Ready', async () => ((await o.db('vxc')).status?.phase === 'Ready' ? true : undefined), 60_000);
  });
});
