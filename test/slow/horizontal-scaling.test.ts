// HorizontalScaling end to end (watcher and worker processes, the real Temporal dev server, the local
// cluster): one Postgres of real postgres processes scaled 1 → 3 by `kubectl apply` with a worker
// SIGKILLed right after it resized the StatefulSet (a failpoint; the other worker's retry finishes the job:
// exactly the right members, each created once, the new standbys cloned and streaming), then 3 → 2
// by editing spec.replicas on the database (an OpsRequest owned by it; the removed member's slot
// dropped, its PVC kept); requests refused without a change; then a simulated ProxySQL 2 → 3 and a
// simulated SingleStore's aggregators 1 → 2 and leaves 2 → 1.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import type { DatabaseStatus } from '../../src/api/common.ts';
import { getCondition } from '../../src/api/conditions.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { DECLARATIVE_LABEL } from '../../src/engines/declarative.ts';
import { clusterHealth } from '../../src/engines/singlestore/probe.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { adminRows } from '../support/proxysql.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('HorizontalScaling end to end (Postgres 1 → 3 → 2 with a worker SIGKILLed mid-scale, ProxySQL, SingleStore)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess | undefined;
  const workers: OpsflowProcess[] = [];
  let exited = 0;
  const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
  const { core, apps } = clients();

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-hs');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-hs'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    // Two workers, both armed: the one that resizes the StatefulSet kills itself there (once: the
    // failpoint's file is shared), the other takes the retry without waiting for a new process.
    const failEnv = { OPSFLOW_FAILPOINTS: 'scaleStatefulSet-patched:hs', OPSFLOW_FAILPOINTS_DIR: fired };
    for (const tag of ['worker-1', 'worker-2']) {
      const w = startOpsflowProcess('worker', env, tag, failEnv);
      w.child.once('exit', () => { exited++; });
      workers.push(w);
    }
    await Promise.all([
      o.readyPostgres('hs', '16.13', 1),
      apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQL', metadata: { name: 'hsp' }, spec: { version: '2.7.3', replicas: 2 } }),
      apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore', metadata: { name: 'hss' }, spec: { version: '8.7.10', topology: { aggregator: { replicas: 1 }, leaf: { replicas: 2 } } } }),
    ]);
  });
  after(async () => {
    await watcher?.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await ns?.remove();
  });

  function apply(obj: object) {
    return kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  }
  const ops = (kind: string, name: string, spec: Record<string, unknown>) => apply({ apiVersion: 'opsflow.dev/v1alpha1', kind, metadata: { name }, spec });
  const sts = async (name: string) => (await apps.readNamespacedStatefulSet({ name, namespace: ns.name })).spec?.replicas;
  const podNames = async (instance: string) => (await core.listNamespacedPod({ namespace: ns.name, labelSelector: `app.kubernetes.io/instance=${instance}` })).items
    .filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '').sort();
  const streaming = async () => (await pgQuery<{ application_name: string; state: string }>(ns.name, 'hs', await o.primary('hs'), 'SELECT application_name, state FROM pg_stat_replication ORDER BY 1'))
    .map((r) => `${r.application_name}:${r.state}`);
  async function resumed(kind: string, name: string) {
    await eventually(`${name} resumed and Ready`, async () => {
      const d = await o.get<DatabaseStatus>(kind, name);
      return d.status?.phase === 'Ready' && (getCondition(d.status.conditions, 'Paused')?.status ?? 'False') === 'False' && !d.metadata.annotations?.[PAUSE_ANNOTATION] ? true : undefined;
    }, 60_000, 250);
  }

  it('Postgres 1 → 3 via kubectl apply, the worker SIGKILLed after resizing the StatefulSet: Successful, hs-1 and hs-2 cloned once each and streaming', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=hs');
    await ops('PostgresOpsRequest', 'up', { type: 'HorizontalScaling', databaseRef: { name: 'hs' }, horizontalScaling: { replicas: 3 }, timeout: '3m' });
    const done = await o.successful('PostgresOpsRequest', 'up', 400_000);
    await history.stop();
    assert.deepEqual(readdirSync(fired), ['scaleStatefulSet-patched:hs'], 'the worker was killed right after resizing the StatefulSet');
    assert.equal(exited, 1, 'one worker died at the failpoint; the other finished the run');
    assert.deepEqual(done.status?.conditions?.filter((c) => /Member|Scale|Sync/.test(c.type)).map((c) => `${c.type}=${c.status}`),
      ['ScaleStatefulSet=True', 'AddMember-hs-1=True', 'AddMember-hs-2=True', 'CheckSync=True']);
    for (const pod of ['hs-0', 'hs-1', 'hs-2']) assert.equal(history.uids(pod).length, 1, `${pod} created once, never replaced (${history.uids(pod).join(', ')})`);
    assert.deepEqual(await podNames('hs'), ['hs-0', 'hs-1', 'hs-2']);
    assert.deepEqual(await streaming(), ['hs-1:streaming', 'hs-2:streaming']);
    const db = await o.db('hs');
    assert.equal(db.spec.replicas, 3, 'spec.replicas follows what runs');
    assert.deepEqual(db.status?.applied?.replicas, { 'spec.replicas': 3 });
    assert.equal(await sts('hs'), 3);
    await resumed('Postgres', 'hs');
    // kubectl get shows the type.
    const table = await kubectl(['get', 'pgops', 'up', '-n', ns.name]);
    assert.match(table, /up\s+HorizontalScaling\s+Successful/);
  });

  it('Postgres 3 → 2 by editing spec.replicas: an OpsRequest owned by the database; hs-2 gone, its slot dropped, its PVC kept', async () => {
    // A slot held for hs-2 (as a tool or an admin would create it): WAL kept for it until dropped.
    await pgQuery(ns.name, 'hs', await o.primary('hs'), "SELECT pg_create_physical_replication_slot('hs_2')");
    await o.patch('Postgres', 'hs', { spec: { replicas: 2 } });
    const name = await eventually('the declarative OpsRequest', async () => (await clients().custom.listNamespacedCustomObject({
      group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresopsrequests', namespace: ns.name, labelSelector: `${DECLARATIVE_LABEL}=true`,
    }) as { items: Array<{ metadata: { name: string } }> }).items[0]?.metadata.name, 60_000, 500);
    const done = await o.successful('PostgresOpsRequest', name, 300_000);
    assert.match(getCondition(done.status?.conditions, 'DropReplicationSlots')?.message ?? '', /dropped hs_2 on hs-0/);
    assert.deepEqual(await podNames('hs'), ['hs-0', 'hs-1']);
    assert.equal(await sts('hs'), 2);
    assert.deepEqual(await pgQuery(ns.name, 'hs', 'hs-0', 'SELECT slot_name FROM pg_replication_slots'), [], 'no slot left');
    assert.deepEqual(await streaming(), ['hs-1:streaming']);
    const pvcs = (await core.listNamespacedPersistentVolumeClaim({ namespace: ns.name })).items.map((p) => p.metadata?.name).filter((n) => n?.endsWith('hs-2'));
    assert.deepEqual(pvcs, ['data-hs-2'], 'the removed member\'s claim is kept (whenScaled: Retain)');
    assert.deepEqual((await o.db('hs')).status?.applied?.replicas, { 'spec.replicas': 2 });
    await resumed('Postgres', 'hs');
  });

  it('refused requests change nothing: replicas 0 (the API server names the field), the current count (Skipped)', async () => {
    const before = JSON.stringify({ pods: await o.podUids('app.kubernetes.io/instance=hs'), spec: (await o.db('hs')).spec, sts: await sts('hs') });
    await assert.rejects(ops('PostgresOpsRequest', 'zero', { type: 'HorizontalScaling', databaseRef: { name: 'hs' }, horizontalScaling: { replicas: 0 } }),
      /spec\.horizontalScaling\.replicas: Invalid value: 0: spec\.horizontalScaling\.replicas in body should be greater than or equal to 1/);
    await assert.rejects(ops('PostgresOpsRequest', 'nofield', { type: 'HorizontalScaling', databaseRef: { name: 'hs' } }), /spec\.horizontalScaling is required when spec\.type is HorizontalScaling/);
    await ops('PostgresOpsRequest', 'same', { type: 'HorizontalScaling', databaseRef: { name: 'hs' }, horizontalScaling: { replicas: 2 } });
    const same = await o.finished('PostgresOpsRequest', 'same', 120_000);
    assert.equal(same.status?.phase, 'Skipped');
    assert.match(same.status?.message ?? '', /spec\.horizontalScaling\.replicas: Postgres hs already runs 2 member\(s\)/);
    assert.equal(JSON.stringify({ pods: await o.podUids('app.kubernetes.io/instance=hs'), spec: (await o.db('hs')).spec, sts: await sts('hs') }), before);
  });

  // Two databases, two engines, run side by side (independent queues) to keep the suite short.
  it('ProxySQL 2 → 3 (member) and SingleStore aggregators 1 → 2, leaves 2 → 1, side by side: exactly the members wanted in each cluster', async () => {
    await Promise.all([proxysqlUp(), singlestoreScale()]);
  });

  async function proxysqlUp(): Promise<void> {
    await resumed('ProxySQL', 'hsp');
    await ops('ProxySQLOpsRequest', 'hsp-up', { type: 'HorizontalScaling', proxyRef: { name: 'hsp' }, horizontalScaling: { member: 3 } });
    const done = await o.successful('ProxySQLOpsRequest', 'hsp-up', 300_000);
    assert.match(getCondition(done.status?.conditions, 'CheckCluster')?.message ?? '', /3 member\(s\) in ProxySQL Cluster/);
    assert.deepEqual(await podNames('hsp'), ['hsp-0', 'hsp-1', 'hsp-2']);
    for (const m of ['hsp-0', 'hsp-1', 'hsp-2']) {
      const hosts = (await adminRows(ns.name, 'hsp', m, 'SELECT hostname FROM runtime_proxysql_servers')).map((r) => String(r.hostname).split('.')[0]).sort();
      assert.deepEqual(hosts, ['hsp-0', 'hsp-1', 'hsp-2'], `${m}'s proxysql_servers`);
    }
    await resumed('ProxySQL', 'hsp');
  }

  /** The leaf leaves the cluster before its Pod goes; the master sees exactly the members wanted. */
  async function singlestoreScale(): Promise<void> {
    await resumed('SingleStore', 'hss');
    await ops('SingleStoreOpsRequest', 'hss-scale', { type: 'HorizontalScaling', databaseRef: { name: 'hss' }, horizontalScaling: { aggregator: 2, leaf: 1 } });
    const done = await o.successful('SingleStoreOpsRequest', 'hss-scale', 300_000);
    assert.match(getCondition(done.status?.conditions, 'LeaveCluster-hss-leaf-1')?.message ?? '', /removed from the cluster/);
    assert.deepEqual(await podNames('hss'), ['hss-aggregator-0', 'hss-aggregator-1', 'hss-leaf-0']);
    const secret = await core.readNamespacedSecret({ name: 'hss-auth', namespace: ns.name });
    const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString();
    const master = await core.readNamespacedPod({ name: 'hss-aggregator-0', namespace: ns.name });
    const c = await mysql.createConnection({ host: master.status?.podIP ?? '', port: 3306, user: dec('username'), password: dec('password'), connectTimeout: 5000 });
    try {
      const h = await clusterHealth(c, ['hss-leaf-0'], { expectedAggregators: ['hss-aggregator-0', 'hss-aggregator-1'] });
      assert.deepEqual(h.problems, []);
      assert.deepEqual(h.leaves.map((l) => l.host.split('.')[0]), ['hss-leaf-0'], 'the removed leaf is not listed');
    } finally {
      await c.end().catch(() => c.destroy());
    }
    await resumed('SingleStore', 'hss');
  }
});
