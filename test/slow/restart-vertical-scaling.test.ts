// Restart (SingleStore, ProxySQL) and VerticalScaling (Postgres, SingleStore, ProxySQL) end to end:
// `kubectl apply` of KubeDB-shaped OpsRequests → watcher process → workflow on the real Temporal dev
// server → worker process → Pods rolled in the engine's safe order, each replaced exactly once. One
// database per engine, reused across the cases. The worker is armed with failpoints and SIGKILLs
// itself right after deleting a Pod (SingleStore Restart: sdb-leaf-0, UID-tracked; Postgres
// VerticalScaling: pg-1, onto the update revision); a new worker starts at once (as a Deployment
// would) and the retried step waits for the replacement instead of deleting it again. (Two kills
// only: a kill costs at least the 8 s heartbeat timeout.)
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import type { DatabaseStatus } from '../../src/api/common.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { parseQuantity } from '../../src/engines/resources.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, isReady, tempNamespace } from '../support/kube.ts';
import { objects, type Obj } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { prebuiltWorkflowBundle, restartingWorkers, startOpsflowProcess, type OpsflowProcess, type RestartingWorkers } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

type Res = { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
const kinds = { pg: 'PostgresOpsRequest', sdb: 'SingleStoreOpsRequest', prx: 'ProxySQLOpsRequest' } as const;
const dbKinds = { pg: 'Postgres', sdb: 'SingleStore', prx: 'ProxySQL' } as const;
const SDB_PODS = ['sdb-leaf-1', 'sdb-leaf-0', 'sdb-aggregator-1', 'sdb-aggregator-0'];
const FAILPOINTS = ['rollPod-deleted:sdb-leaf-0', 'rollPod-deleted:pg-1'];
// KubeDB's vertical-scaling guide values.
const GUIDE: Res = { requests: { memory: '2500Mi', cpu: '0.7' }, limits: { memory: '2500Mi', cpu: '0.7' } };

/** The same amounts (the API server writes 0.7 as 700m). */
function assertResources(got: Res | undefined, want: Res, what: string): void {
  const norm = (r: Res | undefined) => Object.fromEntries((['requests', 'limits'] as const).map((k) => [k, Object.fromEntries(Object.entries(r?.[k] ?? {}).map(([n, q]) => [n, parseQuantity(q)]))]));
  assert.deepEqual(norm(got), norm(want), `${what}: ${JSON.stringify(got)}`);
}

describe('Restart (SingleStore, ProxySQL) and VerticalScaling (Postgres, SingleStore, ProxySQL) end to end, a worker SIGKILLed mid-roll', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let workers: RestartingWorkers | undefined;
  const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
  const { core, apps } = clients();

  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  const opsreq = (db: keyof typeof kinds, name: string, spec: Record<string, unknown>) => apply({
    apiVersion: 'opsflow.dev/v1alpha1', kind: kinds[db], metadata: { name }, spec: { ...spec, [db === 'prx' ? 'proxyRef' : 'databaseRef']: { name: db } },
  });
  const database = (db: keyof typeof kinds) => o.get<DatabaseStatus>(dbKinds[db], db) as Promise<Obj<DatabaseStatus> & { spec: Record<string, unknown> }>;
  const successful = (db: keyof typeof kinds, name: string) => o.successful(kinds[db], name, 400_000);
  const finished = (db: keyof typeof kinds, name: string) => o.finished(kinds[db], name, 120_000);
  const podResources = async (pod: string, container: string) => (await core.readNamespacedPod({ name: pod, namespace: ns.name })).spec?.containers.find((c) => c.name === container)?.resources as Res | undefined;
  const templateResources = async (sts: string) => (await apps.readNamespacedStatefulSet({ name: sts, namespace: ns.name })).spec?.template.spec?.containers[0]?.resources as Res | undefined;

  /** Ready, resumed, and reconciled by the provisioner since the last spec change (it rendered what the spec now says). */
  const settled = (db: keyof typeof kinds) => eventually(`${db} resumed, Ready and reconciled`, async () => {
    const d = await database(db);
    return d.status?.phase === 'Ready' && getCondition(d.status.conditions, 'Paused')?.status !== 'True' && !d.metadata.annotations?.[PAUSE_ANNOTATION]
      && d.status.observedGeneration === d.metadata.generation ? d : undefined;
  }, 90_000, 500);

  /** Runs one request, watching the Pods: each of `pods` replaced exactly once, in this order. */
  async function rolled(db: keyof typeof kinds, name: string, spec: Record<string, unknown>, pods: string[], order = true) {
    const history = await watchPodUids(ns.name, `app.kubernetes.io/instance=${db}`);
    await opsreq(db, name, spec);
    const x = await successful(db, name);
    await history.stop();
    for (const pod of pods) assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
    if (order) assert.deepEqual(history.replacements(), pods);
    for (const pod of pods) assert.ok(isReady(await core.readNamespacedPod({ name: pod, namespace: ns.name })), `${pod} Ready`);
    return x;
  }

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-rvs');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-rvs'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    // A worker that kills itself at a failpoint is replaced at once (a prebuilt bundle: it starts in seconds).
    const bundle = await prebuiltWorkflowBundle(join(fired, '..', `${ns.name}-workflows.js`));
    workers = restartingWorkers(env, { OPSFLOW_FAILPOINTS: FAILPOINTS.join(','), OPSFLOW_FAILPOINTS_DIR: fired, ...bundle });
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore', metadata: { name: 'sdb' }, spec: { version: '8.7.10', topology: { aggregator: { replicas: 2 }, leaf: { replicas: 2 } } } });
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQL', metadata: { name: 'prx' }, spec: { version: '2.6.3', replicas: 2 } });
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg' }, spec: { version: '16.13', replicas: 2 } });
    for (const db of ['sdb', 'prx', 'pg'] as const) await settled(db);
  });
  after(async () => {
    await watcher?.stop();
    await workers?.stop();
    await ns?.remove();
  });

  it('SingleStore Restart: leaves, the child aggregator, the master aggregator last, each once (the worker killed after deleting sdb-leaf-0)', async () => {
    const x = await rolled('sdb', 'sdb-restart', { type: 'Restart', timeout: '3m' }, SDB_PODS);
    assert.ok(readdirSync(fired).includes('rollPod-deleted:sdb-leaf-0'), 'the worker was killed right after deleting sdb-leaf-0');
    assert.match(getCondition(x.status?.conditions, 'RestartPod-sdb-aggregator-0')?.message ?? '', /replaced in .*; 2 leaves online, 2 aggregator\(s\) in the cluster/);
    await settled('sdb');
  });

  it('SingleStore VerticalScaling of leaf and aggregator (KubeDB guide values): spec, templates and every Pod carry them; the provisioner keeps them', async () => {
    const x = await rolled('sdb', 'sdb-vscale', { type: 'VerticalScaling', verticalScaling: { leaf: { resources: GUIDE }, aggregator: { resources: GUIDE } } }, SDB_PODS);
    assert.match(getCondition(x.status?.conditions, 'UpdateResources-leaf')?.message ?? '', /spec\.topology\.leaf\.podTemplate and StatefulSet sdb-leaf/);
    const d = await settled('sdb');
    const topology = d.spec.topology as Record<string, { podTemplate?: { spec?: { containers?: Array<{ name: string; resources?: Res }> } } }>;
    for (const role of ['leaf', 'aggregator']) {
      assertResources(topology[role]?.podTemplate?.spec?.containers?.find((c) => c.name === 'singlestore')?.resources, GUIDE, `spec.topology.${role}.podTemplate`);
      assertResources(await templateResources(`sdb-${role}`), GUIDE, `StatefulSet sdb-${role} after the provisioner reconciled`);
    }
    for (const pod of SDB_PODS) assertResources(await podResources(pod, 'singlestore'), GUIDE, pod);
    const table = await kubectl(['get', 'sdbops', '-n', ns.name]);
    assert.match(table, /sdb-vscale\s+VerticalScaling\s+Successful/, table);
    assert.match(table, /sdb-restart\s+Restart\s+Successful/, table);
  });

  const prxRes: Res = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } };
  it('ProxySQL VerticalScaling: one member at a time, checksums agree, each once; again: Skipped', async () => {
    const x = await rolled('prx', 'prx-vscale', { type: 'VerticalScaling', verticalScaling: { proxysql: { resources: prxRes } } }, ['prx-1', 'prx-0']);
    assert.match(getCondition(x.status?.conditions, 'RestartPod-prx-0')?.message ?? '', /config checksums agree on 2 member/);
    await settled('prx');
    assertResources(await templateResources('prx'), prxRes, 'StatefulSet prx after the provisioner reconciled');
    for (const pod of ['prx-1', 'prx-0']) assertResources(await podResources(pod, 'proxysql'), prxRes, pod);
    await opsreq('prx', 'prx-vscale-again', { type: 'VerticalScaling', verticalScaling: { proxysql: { resources: prxRes } } });
    const again = await finished('prx', 'prx-vscale-again');
    assert.equal(again.status?.phase, 'Skipped', again.status?.message);
    assert.match(again.status?.message ?? '', /already runs proxysql: requests cpu=250m,memory=256Mi/);
  });

  it('ProxySQL Restart: one member at a time, each once, resources kept', async () => {
    await rolled('prx', 'prx-restart', { type: 'Restart' }, ['prx-1', 'prx-0']);
    await settled('prx');
    for (const pod of ['prx-1', 'prx-0']) assertResources(await podResources(pod, 'proxysql'), prxRes, pod);
  });

  it('Postgres VerticalScaling: the standby, a Switchover, the old primary, each once (the worker killed after deleting pg-1)', async () => {
    const res: Res = { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } };
    const x = await rolled('pg', 'pg-vscale', { type: 'VerticalScaling', verticalScaling: { postgres: { resources: res } } }, ['pg-1', 'pg-0']);
    assert.ok(readdirSync(fired).includes('rollPod-deleted:pg-1'));
    assert.deepEqual(readdirSync(fired).sort(), [...FAILPOINTS].sort(), 'both failpoints fired');
    assert.ok((workers?.starts ?? 0) >= 3, `${workers?.starts} worker processes`);
    assert.match(getCondition(x.status?.conditions, 'Switchover')?.message ?? '', /^pg-1 is the primary/);
    const d = await settled('pg');
    assert.equal(d.status?.primary, 'pg-1');
    assertResources((d.spec.podTemplate as { spec: { containers: Array<{ resources: Res }> } }).spec.containers[0]?.resources, res, 'spec.podTemplate');
    assertResources(await templateResources('pg'), res, 'StatefulSet pg after the provisioner reconciled');
    for (const pod of ['pg-1', 'pg-0']) assertResources(await podResources(pod, 'postgres'), res, pod);
  });

  const invalid: Array<{ db: keyof typeof kinds; name: string; spec: Record<string, unknown>; message: RegExp }> = [
    { db: 'sdb', name: 'bad-limits', spec: { verticalScaling: { leaf: { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } } } }, message: /^spec\.verticalScaling\.leaf\.resources\.requests\.cpu: 2 is more than limits\.cpu 1/ },
    { db: 'sdb', name: 'bad-node', spec: { verticalScaling: { node: { resources: GUIDE } } }, message: /^spec\.verticalScaling\.node: SingleStore sdb has a topology/ },
    { db: 'pg', name: 'bad-coordinator', spec: { verticalScaling: { coordinator: { resources: GUIDE } } }, message: /^spec\.verticalScaling\.coordinator: opsflow's Postgres has no coordinator sidecar/ },
    { db: 'prx', name: 'bad-quantity', spec: { verticalScaling: { proxysql: { resources: { limits: { memory: '1 GB' } } } } }, message: /^spec\.verticalScaling\.proxysql\.resources\.limits\.memory: "1 GB" is not a Kubernetes quantity/ },
  ];
  for (const c of invalid) {
    it(`invalid VerticalScaling (${c.name}) ends Failed naming the field; nothing changes`, async () => {
      const before = JSON.stringify([(await database(c.db)).spec, await o.podUids(`app.kubernetes.io/instance=${c.db}`)]);
      await opsreq(c.db, c.name, { type: 'VerticalScaling', ...c.spec });
      const x = await finished(c.db, c.name);
      assert.equal(x.status?.phase, 'Failed');
      assert.match(x.status?.message ?? '', c.message);
      assert.equal(getCondition(x.status?.conditions, 'PauseDatabase'), undefined, 'never paused');
      assert.equal(JSON.stringify([(await database(c.db)).spec, await o.podUids(`app.kubernetes.io/instance=${c.db}`)]), before, 'nothing changed');
    });
  }
});
