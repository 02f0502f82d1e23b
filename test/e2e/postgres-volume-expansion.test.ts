// VolumeExpansion end to end (kubectl apply, watcher + worker processes, real Postgres, the local
// provisioner's expansion): Online grows both members' volumes under their running Pods; a shrink
// and a class without allowVolumeExpansion are refused naming the field/class with nothing changed;
// Offline stops each member while its volume grows (standby, switchover, old primary), data intact;
// the provisioner keeps the new size afterwards and a new member gets it.
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions, StorageV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('Postgres VolumeExpansion (e2e: kubectl apply, real Postgres, local volume expansion)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess | undefined;
  let worker: OpsflowProcess | undefined;
  let o: ReturnType<typeof objects>;
  const sc = `vx-${Date.now().toString(36)}`;
  const storage = () => clients().kc.makeApiClient(StorageV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  const claims = async () => Object.fromEntries((await clients().core.listNamespacedPersistentVolumeClaim({ namespace: ns.name })).items
    .map((c) => [c.metadata?.name, { request: c.spec?.resources?.requests?.storage, capacity: c.status?.capacity?.storage, pv: c.spec?.volumeName }]));
  const templateSize = async () => (await clients().apps.readNamespacedStatefulSet({ name: 'vx', namespace: ns.name })).spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
  const apply = (name: string, volumeExpansion: Record<string, unknown>, extra: Record<string, unknown> = {}) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
    apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name },
    spec: { type: 'VolumeExpansion', databaseRef: { name: 'vx' }, volumeExpansion, timeout: '3m', ...extra },
  }));
  async function assertUnchanged(before: Awaited<ReturnType<typeof claims>>, size: string): Promise<void> {
    assert.deepEqual(await claims(), before, 'no claim changed');
    assert.equal(await templateSize(), size);
    const db = await o.db('vx');
    assert.equal((db.spec.storage as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage, size);
    assert.equal(db.metadata.annotations?.[PAUSE_ANNOTATION], undefined, 'never paused');
  }

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-vx');
    o = objects(ns.name);
    await storage().createStorageClass({ body: { metadata: { name: sc }, provisioner: 'opsflow.dev/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: true } });
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-vx'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    await o.create('Postgres', 'vx', { version: '16.13', replicas: 2, storage: { storageClassName: sc, resources: { requests: { storage: '1Gi' } } } });
    await eventually('vx Ready', async () => ((await o.db('vx')).status?.phase === 'Ready' ? true : undefined), 180_000);
    await pgQuery(ns.name, 'vx', 'vx-0', 'CREATE TABLE kept (v text)');
    await pgQuery(ns.name, 'vx', 'vx-0', 'INSERT INTO kept VALUES ($1)', ['before']);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
    await storage().deleteStorageClass({ name: sc }).catch(() => undefined);
  });

  it('Online: both claims grow to 2Gi under their running Pods; StatefulSet and spec.storage follow; kubectl get shows the type', async () => {
    const uids = await o.podUids('app.kubernetes.io/instance=vx');
    await apply('grow-online', { mode: 'Online', postgres: '2Gi' });
    const ops = await o.successful('PostgresOpsRequest', 'grow-online', 300_000);
    assert.match(ops.status?.message ?? '', /2 volume\(s\) expanded from 1Gi to 2Gi \(Online\)/);
    const c = await claims();
    for (const pod of ['vx-0', 'vx-1']) {
      assert.deepEqual([c[`data-${pod}`]?.request, c[`data-${pod}`]?.capacity], ['2Gi', '2Gi'], pod);
      assert.equal((await clients().core.readPersistentVolume({ name: c[`data-${pod}`]?.pv ?? '' })).spec?.capacity?.storage, '2Gi');
    }
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=vx'), uids, 'no Pod was restarted');
    assert.equal(await templateSize(), '2Gi');
    const table = await kubectl(['get', 'pgops', 'grow-online', '-n', ns.name]);
    assert.match(table, /grow-online\s+VolumeExpansion\s+Successful/);
  });

  it('a shrink and a class without allowVolumeExpansion are refused, naming the field and the class; nothing changed', async () => {
    const before = await claims();
    await apply('shrink', { mode: 'Online', postgres: '1Gi' });
    const shrink = await o.finished('PostgresOpsRequest', 'shrink', 120_000);
    assert.equal(shrink.status?.phase, 'Failed');
    assert.match(shrink.status?.message ?? '', /^spec\.volumeExpansion\.postgres: 1Gi is smaller than the current size 2Gi: a volume cannot be shrunk/);
    await assertUnchanged(before, '2Gi');

    await storage().patchStorageClass({ name: sc, body: { allowVolumeExpansion: false } }, merge);
    try {
      await apply('fixed-class', { mode: 'Online', postgres: '3Gi' });
      const fixed = await o.finished('PostgresOpsRequest', 'fixed-class', 120_000);
      assert.equal(fixed.status?.phase, 'Failed');
      assert.match(fixed.status?.message ?? '', new RegExp(`^spec\\.volumeExpansion\\.postgres: StorageClass "${sc}" \\(of data-vx-\\d\\) does not allow volume expansion`));
      await assertUnchanged(before, '2Gi');
    } finally {
      await storage().patchStorageClass({ name: sc, body: { allowVolumeExpansion: true } }, merge);
    }
  });

  it('Offline: each member stopped while its claim grows to 3Gi (standby, switchover, old primary); data intact; a new member gets 3Gi', async () => {
    const primary = await o.primary('vx');
    const standby = primary === 'vx-0' ? 'vx-1' : 'vx-0';
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=vx');
    await apply('grow-offline', { mode: 'Offline', postgres: '3Gi' });
    const ops = await o.successful('PostgresOpsRequest', 'grow-offline', 400_000);
    await history.stop();
    const steps = (ops.status?.conditions ?? []).map((x) => x.type);
    assert.deepEqual(steps.filter((s) => /^(ExpandVolume-|Switchover)/.test(s)), [`ExpandVolume-${standby}`, 'Switchover', `ExpandVolume-${primary}`]);
    assert.equal(history.uids(standby).length, 2, `the standby stopped once (${history.uids(standby).join(', ')})`);
    assert.equal(history.uids(primary).length, 3, 'the old primary: replaced by the switchover, then stopped for its volume');
    const c = await claims();
    for (const pod of ['vx-0', 'vx-1']) assert.deepEqual([c[`data-${pod}`]?.request, c[`data-${pod}`]?.capacity], ['3Gi', '3Gi'], pod);
    assert.equal(await templateSize(), '3Gi');
    const now = await o.primary('vx');
    assert.equal(now, standby, 'the primary moved to the standby');
    assert.deepEqual(await pgQuery(ns.name, 'vx', now, 'SELECT v FROM kept'), [{ v: 'before' }]);

    // Resumed, the provisioner renders spec.storage (3Gi): it keeps the StatefulSet, and a new member's claim is 3Gi.
    await o.patch('Postgres', 'vx', { spec: { replicas: 3 } });
    await eventually('vx-2 Ready', async () => ((await o.db('vx')).status?.phase === 'Ready' && (await templateSize()) === '3Gi' && (await clients().apps.readNamespacedStatefulSet({ name: 'vx', namespace: ns.name })).status?.readyReplicas === 3 ? true : undefined), 180_000);
    const after = await claims();
    assert.deepEqual([after['data-vx-2']?.request, after['data-vx-2']?.capacity], ['3Gi', '3Gi']);
  });
});
