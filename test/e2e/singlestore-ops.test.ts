// SingleStore OpsRequests end to end on the local cluster (simulated SingleStore servers behind the
// Pods, devenv/runtime/mysql-sim): `kubectl apply` of a SingleStoreOpsRequest → watcher process →
// workflow on the real Temporal dev server → worker process → Pods rolled one at a time (leaves,
// aggregators, the master aggregator last) with the cluster check through the master; Reconfigure
// online and with a rolling restart; invalid requests that change nothing; a worker SIGKILLed
// mid-rollout.
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import type { DatabaseStatus } from '../../src/api/common.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { clusterHealth } from '../../src/engines/singlestore/probe.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, isReady, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

type SdbObj = { metadata: { name: string; annotations?: Record<string, string> }; spec: { version: string; topology: Record<string, { configSecret?: { name: string } }> }; status?: DatabaseStatus };

const aggregators = (db: string) => [`${db}-aggregator-1`, `${db}-aggregator-0`];
const leaves = (db: string) => [`${db}-leaf-1`, `${db}-leaf-0`];
/** The rollout order: leaves (highest ordinal first), the child aggregator, the master aggregator last. */
const allPods = (db: string) => [...leaves(db), ...aggregators(db)];

describe('SingleStore UpdateVersion and Reconfigure end to end (watcher and worker processes, simulated SingleStore)', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;
  let env: { temporalAddress: string; taskQueue: string; namespace: string };
  const { core, apps } = clients();

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-sdb');
    o = objects(ns.name);
    env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-sdb'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    // Both databases come up together (the crash test's too), to keep the suite short.
    await Promise.all([readyDatabase('sdb', '8.7.10'), readyDatabase('crash', '8.5.7')]);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  const db = async (name: string) => (await o.get<DatabaseStatus>('SingleStore', name)) as unknown as SdbObj;
  const ops = (name: string) => o.get<OpsRequestStatus>('SingleStoreOpsRequest', name);
  const sdbops = (name: string, spec: Record<string, unknown>) => apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStoreOpsRequest', metadata: { name }, spec });
  const finished = (name: string) => o.finished('SingleStoreOpsRequest', name, 300_000);
  const successful = (name: string) => o.successful('SingleStoreOpsRequest', name, 300_000);
  const creds = async (name: string) => {
    const s = await core.readNamespacedSecret({ name: `${name}-auth`, namespace: ns.name });
    const dec = (k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
    return { user: dec('username'), password: dec('password') };
  };
  /** One query on one node, through its Pod IP. */
  async function onNode<T>(dbName: string, pod: string, f: (c: mysql.Connection) => Promise<T>): Promise<T> {
    const p = await core.readNamespacedPod({ name: pod, namespace: ns.name });
    const c = await mysql.createConnection({ host: p.status?.podIP ?? '', port: 3306, ...(await creds(dbName)), connectTimeout: 5000 });
    try {
      return await f(c);
    } finally {
      await c.end().catch(() => c.destroy());
    }
  }
  const variable = (dbName: string, pod: string, name: string) => onNode(dbName, pod, async (c) => {
    const [rows] = await c.query(`SELECT @@${name} AS v`);
    return String((rows as Array<{ v: unknown }>)[0]?.v);
  });
  /** The master aggregator sees both leaves and both aggregators online. */
  const healthy = (dbName: string) => eventually(`${dbName}: every member online`, async () => {
    const h = await onNode(dbName, `${dbName}-aggregator-0`, (c) => clusterHealth(c, leaves(dbName), { expectedAggregators: aggregators(dbName) })).catch(() => undefined);
    return h && h.problems.length === 0 ? h : undefined;
  }, 60_000, 250);

  async function readyDatabase(name: string, version: string): Promise<void> {
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore', metadata: { name }, spec: { version, topology: { aggregator: { replicas: 2 }, leaf: { replicas: 2 } } } });
    await eventually(`${name} Ready`, async () => ((await db(name)).status?.phase === 'Ready' ? true : undefined), 180_000, 500);
    await healthy(name);
  }

  /** Ready, resumed (Paused=False, no pause annotation). */
  async function resumedAndReady(name: string): Promise<SdbObj> {
    return eventually(`${name} resumed and Ready`, async () => {
      const d = await db(name);
      return d.status?.phase === 'Ready' && getCondition(d.status.conditions, 'Paused')?.status === 'False' && !d.metadata.annotations?.[PAUSE_ANNOTATION] ? d : undefined;
    }, 60_000, 250);
  }

  /** What an invalid request must leave alone: Pod UIDs, StatefulSet templates, the database spec and annotations. */
  async function snapshot(name: string): Promise<string> {
    const pods = await o.podUids(`app.kubernetes.io/instance=${name}`);
    const sts = await Promise.all(['aggregator', 'leaf'].map(async (r) => (await apps.readNamespacedStatefulSet({ name: `${name}-${r}`, namespace: ns.name })).spec?.template));
    const d = await db(name);
    const secrets = (await core.listNamespacedSecret({ namespace: ns.name })).items.map((s) => s.metadata?.name).filter((n) => n?.startsWith(`${name}-`)).sort();
    return JSON.stringify({ pods, sts, spec: d.spec, pause: d.metadata.annotations?.[PAUSE_ANNOTATION] ?? null, secrets });
  }

  it('UpdateVersion 8.7.10 → 8.9.3 via kubectl apply: leaves, then aggregators, master last; each Pod replaced once; every node reports 8.9.3', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=sdb');
    await sdbops('sdb-up', { type: 'UpdateVersion', databaseRef: { name: 'sdb' }, updateVersion: { targetVersion: '8.9.3' }, timeout: '3m' });
    const x = await successful('sdb-up');
    await history.stop();
    for (const pod of allPods('sdb')) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
      assert.equal(await variable('sdb', pod, 'memsql_version'), '8.9.3', `${pod} reports 8.9.3`);
    }
    assert.deepEqual(history.replacements(), allPods('sdb'), 'leaves first, then the child aggregator, the master aggregator last');
    for (const sts of ['sdb-aggregator', 'sdb-leaf']) {
      const s = await apps.readNamespacedStatefulSet({ name: sts, namespace: ns.name });
      assert.equal(s.spec?.template.spec?.containers[0]?.image, 'singlestore/node:alma-8.9.3', sts);
    }
    assert.match(getCondition(x.status?.conditions, 'RestartPod-sdb-aggregator-0')?.message ?? '', /2 leaves online, 2 aggregator\(s\) in the cluster; sdb-aggregator-0 reports 8\.9\.3/);
    const d = await resumedAndReady('sdb');
    assert.equal(d.spec.version, '8.9.3');
    await healthy('sdb');
  });

  it('Reconfigure leaf with configSecret + applyConfig, restart auto: set online (no Pod replaced), read back on every leaf, persisted in the spec', async () => {
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'leaf-conf' }, stringData: { 'sdb-config.cnf': 'max_connections = 444\nwait_timeout = 3600\n' } } });
    const before = await o.podUids('app.kubernetes.io/instance=sdb');
    await sdbops('sdb-leaf-online', {
      type: 'Reconfigure', databaseRef: { name: 'sdb' },
      configuration: { leaf: { configSecret: { name: 'leaf-conf' }, applyConfig: { 'sdb-apply.cnf': 'max_connections = 555\n' } } },
    });
    const x = await successful('sdb-leaf-online');
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=sdb'), before, 'no Pod replaced');
    assert.match(getCondition(x.status?.conditions, 'ApplyConfig-leaf')?.message ?? '', /SET GLOBAL .*sdb-leaf-0: max_connections/);
    // applyConfig wins over configSecret, parameter by parameter.
    for (const pod of leaves('sdb')) {
      assert.equal(await variable('sdb', pod, 'max_connections'), '555', pod);
      assert.equal(await variable('sdb', pod, 'wait_timeout'), '3600', pod);
    }
    for (const pod of aggregators('sdb')) assert.equal(await variable('sdb', pod, 'max_connections'), '100000', `${pod} untouched`);
    // The database spec is the source of truth: the leaf role's configSecret names the merged config,
    // and the Secret the leaves mount is rendered from it.
    const d = await resumedAndReady('sdb');
    assert.equal(d.spec.topology.leaf?.configSecret?.name, 'sdb-leaf-custom-config');
    assert.equal(d.spec.topology.aggregator?.configSecret, undefined);
    const rendered = await core.readNamespacedSecret({ name: 'sdb-leaf-config', namespace: ns.name });
    assert.match(Buffer.from(rendered.data?.['opsflow.cnf'] ?? '', 'base64').toString(), /max_connections = 555\nwait_timeout = 3600\n/);
    // A later restart keeps it (the server's config files win over what was set online at start).
    const old = before['sdb-leaf-1'];
    await core.deleteNamespacedPod({ name: 'sdb-leaf-1', namespace: ns.name });
    await eventually('sdb-leaf-1 replaced and Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'sdb-leaf-1', namespace: ns.name }).catch(() => undefined);
      return p && p.metadata?.uid !== old && isReady(p) ? p : undefined;
    }, 60_000, 200);
    assert.equal(await variable('sdb', 'sdb-leaf-1', 'max_connections'), '555');
    await healthy('sdb');
  });

  it('Reconfigure aggregator with restart true: each aggregator replaced once (master last), leaves untouched, values from the rendered config after the restart', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=sdb');
    await sdbops('sdb-agg-restart', {
      type: 'Reconfigure', databaseRef: { name: 'sdb' },
      configuration: { aggregator: { applyConfig: { 'sdb-apply.cnf': 'wait_timeout = 777\n' }, restart: 'true' } },
    });
    const x = await successful('sdb-agg-restart');
    await history.stop();
    for (const pod of aggregators('sdb')) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once`);
      assert.equal(await variable('sdb', pod, 'wait_timeout'), '777', pod);
    }
    for (const pod of leaves('sdb')) assert.equal(history.uids(pod).length, 1, `${pod} not replaced`);
    assert.deepEqual(history.replacements(), aggregators('sdb'), 'the master aggregator last');
    assert.equal(getCondition(x.status?.conditions, 'ApplyConfig-aggregator'), undefined, 'nothing set online');
    const d = await resumedAndReady('sdb');
    assert.equal(d.spec.topology.aggregator?.configSecret?.name, 'sdb-aggregator-custom-config');
    // The leaves keep their own config.
    for (const pod of leaves('sdb')) assert.equal(await variable('sdb', pod, 'max_connections'), '555', pod);
    await healthy('sdb');
  });

  it('Reconfigure leaf with removeCustomConfig: a dropped parameter rolls the leaves (restart auto); only the new config remains', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=sdb');
    await sdbops('sdb-leaf-reset', {
      type: 'Reconfigure', databaseRef: { name: 'sdb' },
      configuration: { leaf: { removeCustomConfig: true, applyConfig: { 'sdb-apply.cnf': 'max_connections = 666\n' } } },
    });
    const x = await successful('sdb-leaf-reset');
    await history.stop();
    assert.match(getCondition(x.status?.conditions, 'PersistConfig-leaf')?.message ?? '', /dropped wait_timeout/);
    for (const pod of leaves('sdb')) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once`);
      assert.equal(await variable('sdb', pod, 'max_connections'), '666', pod);
    }
    for (const pod of aggregators('sdb')) assert.equal(history.uids(pod).length, 1, `${pod} not replaced`);
    const custom = await core.readNamespacedSecret({ name: 'sdb-leaf-custom-config', namespace: ns.name });
    const text = Buffer.from(custom.data?.['custom.cnf'] ?? '', 'base64').toString();
    assert.match(text, /^max_connections = 666$/m);
    assert.doesNotMatch(text, /wait_timeout/);
    await resumedAndReady('sdb');
  });

  const invalid: Array<{ name: string; spec: Record<string, unknown>; message: RegExp }> = [
    { name: 'bad-version', spec: { type: 'UpdateVersion', updateVersion: { targetVersion: '9.9.9' } }, message: /^spec\.updateVersion\.targetVersion: 9\.9\.9 is not in the SingleStoreVersion catalog/ },
    { name: 'bad-node', spec: { type: 'Reconfigure', configuration: { node: { applyConfig: { 'a.cnf': 'max_connections = 10' } } } }, message: /^spec\.configuration\.node: SingleStore sdb has a topology/ },
    { name: 'bad-variable', spec: { type: 'Reconfigure', configuration: { leaf: { applyConfig: { 'sdb.cnf': 'max_connections = 10\nno_such_variable = 1\n' } } } }, message: /^spec\.configuration\.leaf\.applyConfig\["sdb\.cnf"\]: unknown variable no_such_variable/ },
    { name: 'bad-value', spec: { type: 'Reconfigure', configuration: { aggregator: { applyConfig: { 'sdb.cnf': 'max_connections = many\n' } } } }, message: /^spec\.configuration\.aggregator\.applyConfig\["sdb\.cnf"\]: max_connections takes an integer/ },
  ];
  for (const c of invalid) {
    it(`invalid request (${c.name}) ends Failed naming the field; nothing changes`, async () => {
      const before = await snapshot('sdb');
      await sdbops(c.name, { ...c.spec, databaseRef: { name: 'sdb' } });
      const x = await finished(c.name);
      assert.equal(x.status?.phase, 'Failed');
      assert.match(x.status?.message ?? '', c.message);
      assert.equal(getCondition(x.status?.conditions, 'PauseDatabase'), undefined, 'the database was never paused');
      assert.equal(await snapshot('sdb'), before, 'nothing changed');
    });
  }

  it('crash: the worker is SIGKILLed after the first Pod rolled; a new worker finishes; no Pod replaced twice', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=crash');
    await sdbops('crash-up', { type: 'UpdateVersion', databaseRef: { name: 'crash' }, updateVersion: { targetVersion: '8.7.10' }, timeout: '3m' });
    await eventually('crash-up: the first Pod rolled', async () => {
      const x = await ops('crash-up');
      return x.status?.conditions?.some((c) => c.type.startsWith('RestartPod-') && c.status === 'True') ? true : undefined;
    }, 300_000, 100);
    await worker.kill();
    await new Promise((r) => setTimeout(r, 1_000));
    worker = startOpsflowProcess('worker', env, 'worker-2');
    await successful('crash-up');
    await history.stop();
    for (const pod of allPods('crash')) {
      assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
      assert.equal(await variable('crash', pod, 'memsql_version'), '8.7.10', pod);
      const p = await core.readNamespacedPod({ name: pod, namespace: ns.name });
      assert.ok(isReady(p), `${pod} Ready`);
    }
    assert.deepEqual(history.replacements(), allPods('crash'));
    assert.equal((await resumedAndReady('crash')).spec.version, '8.7.10');
  });
});
