// Declarative changes end to end (watcher and worker processes, real Postgres): `kubectl patch` of
// spec.version / spec.configSecret on a Postgres becomes a PostgresOpsRequest owned by it, which runs
// the workflow (pause, roll, checks, resume); with updatePolicy Disabled nothing changes and a
// condition says why. The same for a SingleStore (simulated servers): version and per-role config.
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects, type Obj } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Declarative changes end to end (spec edits become OpsRequests)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-decl');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('decl'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  const patch = (db: string, spec: object) => kubectl(['patch', '-n', ns.name, 'postgres', db, '--type', 'merge', '-p', JSON.stringify({ spec })]);
  const catalogImage = async (v: string) => kubectl(['get', 'postgresversion', v, '-o', 'jsonpath={.spec.db.image}']);
  const stsImage = async (db: string) => (await clients().apps.readNamespacedStatefulSet({ name: db, namespace: ns.name })).spec?.template.spec?.containers[0]?.image;
  /** The PostgresOpsRequests owned by the database (by uid). */
  const ownedOps = async (db: string) => {
    const uid = (await o.db(db)).metadata.uid;
    const list = (await clients().custom.listNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresopsrequests', namespace: ns.name })) as { items: Array<Obj<OpsRequestStatus> & { metadata: { ownerReferences?: Array<{ uid: string; kind: string }> } }> };
    return list.items.filter((x) => x.metadata.ownerReferences?.some((r) => r.uid === uid && r.kind === 'Postgres'));
  };
  async function readyDatabase(name: string, spec: Record<string, unknown>): Promise<void> {
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name }, spec });
    await eventually(`${name} Ready`, async () => ((await o.db(name)).status?.phase === 'Ready' ? true : undefined), 300_000, 1000);
  }
  async function finished(db: string) {
    const [ops] = await eventually(`an OpsRequest owned by ${db}`, async () => {
      const l = await ownedOps(db);
      return l.length ? l : undefined;
    }, 60_000, 500);
    assert.ok(ops);
    const done = await eventually(`${ops.metadata.name} finished`, async () => {
      const x = await o.ops(ops.metadata.name);
      return ['Successful', 'Failed', 'Skipped'].includes(x.status?.phase ?? '') ? x : undefined;
    }, 600_000, 1000);
    assert.equal(done.status?.phase, 'Successful', `${done.status?.message} ${JSON.stringify(done.status?.conditions?.filter((c) => c.status !== 'True'))}`);
    return done;
  }
  async function settled(db: string) {
    const d = await eventually(`${db} Ready and resumed`, async () => {
      const x = await o.db(db);
      return x.status?.phase === 'Ready' && getCondition(x.status?.conditions, 'Paused')?.status === 'False' ? x : undefined;
    }, 120_000, 1000);
    // A couple of provisioner resyncs (OPSFLOW_RESYNC_SECONDS=5): nothing may look pending afterwards.
    await sleep(12_000);
    assert.equal((await ownedOps(db)).length, 1, 'exactly one OpsRequest for the change');
    const after = await o.db(db);
    assert.notEqual(getCondition(after.status?.conditions, 'UpdatePending')?.status, 'True', JSON.stringify(getCondition(after.status?.conditions, 'UpdatePending')));
    return d;
  }

  it('kubectl patch spec.version 16.13 → 16.15 on a 3-member Postgres: one owned UpdateVersion, every Pod replaced once', async () => {
    await readyDatabase('decl', { version: '16.13', replicas: 3 });
    const oldImage = await catalogImage('16.13');
    assert.equal(await stsImage('decl'), oldImage);
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=decl');
    await patch('decl', { version: '16.15' });
    const [created] = await eventually('the owned OpsRequest', async () => {
      const l = await ownedOps('decl');
      return l.length ? l : undefined;
    }, 60_000, 300);
    assert.match(created?.metadata.name ?? '', /^decl-update-16\.15-/);
    assert.equal((created?.spec as { type?: string }).type, 'UpdateVersion');
    const done = await finished('decl');
    assert.ok(done.status?.conditions?.some((c) => c.type === 'PauseDatabase' && c.status === 'True'), 'the workflow paused the database');
    const d = await settled('decl');
    for (const pod of ['decl-0', 'decl-1', 'decl-2']) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
      const [v] = await pgQuery<{ server_version: string }>(ns.name, 'decl', pod, 'SHOW server_version');
      assert.equal(v?.server_version.split(' ')[0], '16.15', `${pod} runs 16.15`);
    }
    assert.equal(d.spec.version, '16.15');
    assert.equal((d.status as { applied?: { version?: string } }).applied?.version, '16.15');
    assert.equal(await stsImage('decl'), await catalogImage('16.15'));
    await history.stop();
  });

  it('updatePolicy Disabled: the edit is not applied (no OpsRequest, image unchanged, no Pod replaced) and a condition says why', async () => {
    await readyDatabase('frozen', { version: '16.13', replicas: 1, updatePolicy: 'Disabled' });
    const oldImage = await catalogImage('16.13');
    const uid = (await clients().core.readNamespacedPod({ name: 'frozen-0', namespace: ns.name })).metadata?.uid;
    await patch('frozen', { version: '16.15' });
    const c = await eventually('UpdatePending condition', async () => {
      const x = getCondition((await o.db('frozen')).status?.conditions, 'UpdatePending');
      return x?.status === 'True' ? x : undefined;
    }, 60_000, 500);
    assert.equal(c.reason, 'UpdatePolicyDisabled');
    assert.equal(c.message, 'spec.version 16.13 → 16.15 is not applied: spec.updatePolicy is Disabled; create a PostgresOpsRequest');
    await sleep(12_000);
    assert.deepEqual(await ownedOps('frozen'), []);
    const all = (await clients().custom.listNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresopsrequests', namespace: ns.name })) as { items: Array<{ spec: { databaseRef?: { name: string } } }> };
    assert.equal(all.items.filter((x) => x.spec.databaseRef?.name === 'frozen').length, 0);
    assert.equal(await stsImage('frozen'), oldImage);
    assert.equal((await clients().core.readNamespacedPod({ name: 'frozen-0', namespace: ns.name })).metadata?.uid, uid, 'the Pod was not replaced');
    const [v] = await pgQuery<{ server_version: string }>(ns.name, 'frozen', 'frozen-0', 'SHOW server_version');
    assert.match(v?.server_version ?? '', /^16\.13/);
    assert.equal((await o.db('frozen')).status?.phase, 'Ready');
  });

  it('kubectl patch spec.configSecret to a new Secret: an owned Reconfigure; the setting reads back on every member', async () => {
    await readyDatabase('conf', { version: '16.13', replicas: 3 });
    await clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'conf-tuned' }, stringData: { 'user.conf': "work_mem = '12MB'\nlog_min_duration_statement = 250\n" } } });
    const before = (await o.db('conf')).metadata.generation;
    await patch('conf', { configSecret: { name: 'conf-tuned' } });
    const done = await finished('conf');
    assert.deepEqual((done.spec as { configuration?: unknown }).configuration, { configSecret: { name: 'conf-tuned' }, restart: 'auto' });
    const d = await settled('conf');
    assert.ok((d.metadata.generation ?? 0) > (before ?? 0));
    for (const pod of ['conf-0', 'conf-1', 'conf-2']) {
      const [w] = await pgQuery<{ work_mem: string }>(ns.name, 'conf', pod, 'SHOW work_mem');
      assert.equal(w?.work_mem, '12MB', `${pod} work_mem`);
      const [l] = await pgQuery<{ log_min_duration_statement: string }>(ns.name, 'conf', pod, 'SHOW log_min_duration_statement');
      assert.equal(l?.log_min_duration_statement, '250ms', `${pod} log_min_duration_statement`);
    }
  });
  it('SingleStore: spec.version 8.7.10 → 8.9.3, then spec.topology.leaf.configSecret, each become an owned SingleStoreOpsRequest', async () => {
    const sdbOps = async () => {
      const uid = (await o.get('SingleStore', 'decl-sdb')).metadata.uid;
      const list = (await clients().custom.listNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural: 'singlestoreopsrequests', namespace: ns.name })) as { items: Array<Obj<OpsRequestStatus> & { metadata: { ownerReferences?: Array<{ uid: string }> } }> };
      return list.items.filter((x) => x.metadata.ownerReferences?.some((r) => r.uid === uid));
    };
    const runs = async (n: number) => {
      const l = await eventually(`${n} SingleStoreOpsRequest(s) owned by decl-sdb`, async () => {
        const x = await sdbOps();
        return x.length >= n ? x : undefined;
      }, 60_000, 500);
      const last = l.sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
      for (const x of last) {
        const done = await eventually(`${x.metadata.name} finished`, async () => {
          const y = await o.get<OpsRequestStatus>('SingleStoreOpsRequest', x.metadata.name);
          return ['Successful', 'Failed', 'Skipped'].includes(y.status?.phase ?? '') ? y : undefined;
        }, 300_000, 500);
        assert.equal(done.status?.phase, 'Successful', done.status?.message);
      }
      return l;
    };
    const variable = async (pod: string, name: string) => {
      const p = await clients().core.readNamespacedPod({ name: pod, namespace: ns.name });
      const sec = await clients().core.readNamespacedSecret({ name: 'decl-sdb-auth', namespace: ns.name });
      const dec = (k: string) => Buffer.from(sec.data?.[k] ?? '', 'base64').toString();
      const c = await mysql.createConnection({ host: p.status?.podIP ?? '', port: 3306, user: dec('username'), password: dec('password'), connectTimeout: 5000 });
      try {
        const [rows] = await c.query(`SELECT @@${name} AS v`);
        return String((rows as Array<{ v: unknown }>)[0]?.v);
      } finally {
        await c.end().catch(() => c.destroy());
      }
    };
    const resumed = () => eventually('decl-sdb Ready and resumed', async () => {
      const x = await o.get<{ phase?: string; conditions?: Array<{ type: string; status: string; reason: string; lastTransitionTime: string; message: string }>; applied?: { version: string; configSecrets?: Record<string, string> } }>('SingleStore', 'decl-sdb');
      return x.status?.phase === 'Ready' && getCondition(x.status.conditions as never, 'Paused')?.status === 'False' ? x : undefined;
    }, 120_000, 500);
    const pods = ['decl-sdb-leaf-0', 'decl-sdb-aggregator-0'];
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore', metadata: { name: 'decl-sdb' }, spec: { version: '8.7.10', topology: { aggregator: { replicas: 1 }, leaf: { replicas: 1 } } } });
    await eventually('decl-sdb Ready', async () => ((await o.get<{ phase?: string }>('SingleStore', 'decl-sdb')).status?.phase === 'Ready' ? true : undefined), 180_000, 500);
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=decl-sdb');
    await kubectl(['patch', '-n', ns.name, 'singlestore', 'decl-sdb', '--type', 'merge', '-p', JSON.stringify({ spec: { version: '8.9.3' } })]);
    const [up] = await runs(1);
    assert.match(up?.metadata.name ?? '', /^decl-sdb-update-8\.9\.3-/);
    await resumed();
    for (const pod of pods) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
      assert.equal(await variable(pod, 'memsql_version'), '8.9.3', `${pod} reports 8.9.3`);
    }
    await history.stop();
    await clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'decl-sdb-leaf-tuned' }, stringData: { 'sdb-config.cnf': 'max_connections = 321\n' } } });
    await kubectl(['patch', '-n', ns.name, 'singlestore', 'decl-sdb', '--type', 'merge', '-p', JSON.stringify({ spec: { topology: { leaf: { configSecret: { name: 'decl-sdb-leaf-tuned' } } } } })]);
    const l = await runs(2);
    const re = l.find((x) => (x.spec as { type?: string }).type === 'Reconfigure');
    assert.deepEqual((re?.spec as { configuration?: unknown }).configuration, { leaf: { configSecret: { name: 'decl-sdb-leaf-tuned' }, restart: 'auto' } });
    await resumed();
    assert.equal(await variable('decl-sdb-leaf-0', 'max_connections'), '321');
    await sleep(12_000);
    assert.equal((await sdbOps()).length, 2, 'no further OpsRequest after resyncs');
    const d = await o.get<{ conditions?: Array<{ type: string; status: string }> }>('SingleStore', 'decl-sdb');
    assert.notEqual(d.status?.conditions?.find((c) => c.type === 'UpdatePending')?.status, 'True');
  });
});
