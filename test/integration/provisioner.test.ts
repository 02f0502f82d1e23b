// The provisioner against the real API server and controllers: databases become StatefulSets,
// Services and Secrets; replicas are reconciled; deletion garbage-collects; the pause handshake
// holds changes back; an unknown version changes nothing.
import assert from 'node:assert/strict';
import { PatchStrategy, PolicyV1Api, setHeaderOptions, type V1StatefulSet } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type DatabaseStatus } from '../../src/api/common.ts';
import { getCondition } from '../../src/api/conditions.ts';
import { kindInfo } from '../../src/api/kinds.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, isReady, tempNamespace } from '../support/kube.ts';
import { startProvisioner } from '../support/provisioner.ts';

type Db = { metadata: { name: string; generation?: number; annotations?: Record<string, string> }; spec: Record<string, unknown>; status?: DatabaseStatus };

describe('provisioner (real API server, controllers and kwok)', function () {
  this.timeout(180_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('prov');
    provisioner = await startProvisioner(ns.name);
  });
  after(async () => {
    await provisioner?.stop();
    await ns?.remove();
  });

  const plural = (kind: string) => kindInfo(kind).plural;
  const create = (kind: string, name: string, spec: Record<string, unknown>) => clients().custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: plural(kind), namespace: ns.name, body: { apiVersion: API_VERSION, kind, metadata: { name }, spec },
  });
  const get = async (kind: string, name: string) => (await clients().custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural(kind), namespace: ns.name, name })) as Db;
  const patch = (kind: string, name: string, body: object) => clients().custom.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, plural: plural(kind), namespace: ns.name, name, body },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const sts = (name: string) => clients().apps.readNamespacedStatefulSet({ name, namespace: ns.name });
  const phase = (kind: string, name: string, want: string) => eventually(`${kind} ${name} phase ${want}`, async () => {
    const db = await get(kind, name);
    return db.status?.phase === want ? db : undefined;
  }, 90_000);

  it('Postgres: StatefulSet with the catalog image, Services, Secrets, Ready Pods, status Ready', async () => {
    await create('Postgres', 'pg', { version: '16.15', replicas: 3 });
    const db = await phase('Postgres', 'pg', 'Ready');
    assert.equal(getCondition(db.status?.conditions, 'Ready')?.status, 'True');
    assert.equal(db.status?.observedGeneration, db.metadata.generation);
    const s = await sts('pg');
    assert.equal(s.spec?.template.spec?.containers[0]?.image, 'postgres:16.15');
    assert.equal(s.spec?.updateStrategy?.type, 'OnDelete');
    assert.equal(s.spec?.replicas, 3);
    assert.equal(s.metadata?.ownerReferences?.[0]?.kind, 'Postgres');
    assert.ok(s.spec?.volumeClaimTemplates?.some((v) => v.metadata?.name === 'data'));
    const { core } = clients();
    const services = (await core.listNamespacedService({ namespace: ns.name })).items.map((x) => x.metadata?.name).sort();
    assert.deepEqual(services, ['pg', 'pg-pods']);
    const primary = await core.readNamespacedService({ name: 'pg', namespace: ns.name });
    // The primary Service follows the role label (a switchover moves it), not an ordinal.
    assert.deepEqual(primary.spec?.selector, { 'app.kubernetes.io/name': 'postgreses.opsflow.dev', 'app.kubernetes.io/instance': 'pg', 'opsflow.dev/role': 'primary' });
    const auth = await core.readNamespacedSecret({ name: 'pg-auth', namespace: ns.name });
    const password = Buffer.from(auth.data?.password ?? '', 'base64').toString();
    assert.ok(password.length >= 20, 'a generated password');
    assert.ok(!JSON.stringify(db.status).includes(password), 'the password is not in the status');
    const config = await core.readNamespacedSecret({ name: 'pg-config', namespace: ns.name });
    assert.match(Buffer.from(config.data?.['opsflow.conf'] ?? '', 'base64').toString(), /wal_level = 'replica'/);
    const pods = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=pg' })).items;
    assert.equal(pods.filter(isReady).length, 3);
    const roles = await eventually('role labels on the pods', async () => {
      const ps = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=pg' })).items;
      const r = Object.fromEntries(ps.map((p) => [p.metadata?.name, p.metadata?.labels?.['opsflow.dev/role']]));
      return Object.values(r).every(Boolean) ? r : undefined;
    });
    assert.deepEqual(roles, { 'pg-0': 'primary', 'pg-1': 'standby', 'pg-2': 'standby' });
  });

  it('Postgres: a PodDisruptionBudget keeps the primary: its eviction is refused, a standby\'s is allowed', async () => {
    const { kc, core } = clients();
    const policy = kc.makeApiClient(PolicyV1Api);
    const pdb = await eventually('PDB pg-primary', async () => policy.readNamespacedPodDisruptionBudget({ name: 'pg-primary', namespace: ns.name }).catch(() => undefined));
    assert.equal(pdb.spec?.minAvailable, 1);
    assert.deepEqual(pdb.spec?.selector?.matchLabels, { 'app.kubernetes.io/name': 'postgreses.opsflow.dev', 'app.kubernetes.io/instance': 'pg', 'opsflow.dev/role': 'primary' });
    assert.equal(pdb.metadata?.ownerReferences?.[0]?.kind, 'Postgres');
    // The disruption controller counts the primary as healthy before it refuses an eviction.
    await eventually('PDB status', async () => {
      const st = (await policy.readNamespacedPodDisruptionBudget({ name: 'pg-primary', namespace: ns.name })).status;
      return st?.currentHealthy === 1 && st.disruptionsAllowed === 0 ? true : undefined;
    }, 60_000);
    const evict = (pod: string) => core.createNamespacedPodEviction({ name: pod, namespace: ns.name, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns.name }, deleteOptions: { dryRun: ['All'] } } });
    await assert.rejects(evict('pg-0'), (e: { code?: number; body?: string }) => e.code === 429 && /disruption budget/i.test(String(e.body)));
    await evict('pg-1');
  });

  it('SingleStore: aggregator and leaf StatefulSets; ProxySQL: one StatefulSet; both Ready', async () => {
    await create('SingleStore', 'sdb', { version: '8.7.10', topology: { aggregator: { replicas: 2 }, leaf: { replicas: 3 } } });
    await create('ProxySQL', 'prx', { version: '2.6.3', replicas: 3 });
    await phase('SingleStore', 'sdb', 'Ready');
    await phase('ProxySQL', 'prx', 'Ready');
    const agg = await sts('sdb-aggregator');
    const leaf = await sts('sdb-leaf');
    assert.equal(agg.spec?.replicas, 2);
    assert.equal(leaf.spec?.replicas, 3);
    assert.equal(leaf.spec?.template.spec?.containers[0]?.image, 'singlestore/node:alma-8.7.10');
    const prx = await sts('prx');
    assert.equal(prx.spec?.template.spec?.containers[0]?.image, 'proxysql/proxysql:2.6.3');
    assert.equal(prx.status?.readyReplicas, 3);
  });

  it('a change of spec.replicas is not applied by the provisioner: it becomes an owned HorizontalScaling OpsRequest', async () => {
    await patch('ProxySQL', 'prx', { spec: { replicas: 1 } });
    const ops = await eventually('an owned ProxySQLOpsRequest', async () => {
      const list = (await clients().custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural('ProxySQLOpsRequest'), namespace: ns.name })) as {
        items: Array<{ metadata: { ownerReferences?: Array<{ kind: string; name: string }> }; spec: { type: string; horizontalScaling?: { member?: number } } }> };
      return list.items.find((o) => o.metadata.ownerReferences?.some((r) => r.kind === 'ProxySQL' && r.name === 'prx'));
    }, 60_000);
    assert.equal(ops.spec.type, 'HorizontalScaling');
    assert.equal(ops.spec.horizontalScaling?.member, 1);
    await new Promise((r) => setTimeout(r, 3_000)); // resyncs' worth of chances to (wrongly) resize it
    assert.equal((await sts('prx')).spec?.replicas, 3, 'the StatefulSet keeps what runs until the OpsRequest scales it');
  });

  it('acknowledges a pause, holds a spec change while paused, applies it after resume', async () => {
    await patch('Postgres', 'pg', { metadata: { annotations: { [PAUSE_ANNOTATION]: 'pgops/test-1' } } });
    const paused = await phase('Postgres', 'pg', 'Paused');
    const cond = getCondition(paused.status?.conditions, 'Paused');
    assert.equal(cond?.status, 'True');
    assert.match(cond?.message ?? '', /pgops\/test-1/);
    // A podTemplate edit is rendered into the StatefulSet by the provisioner itself (no OpsRequest).
    const limits = { memory: '1536Mi' };
    await patch('Postgres', 'pg', { spec: { podTemplate: { spec: { containers: [{ name: 'postgres', resources: { limits } }] } } } });
    const template = async () => (await sts('pg')).spec?.template.spec?.containers.find((c) => c.name === 'postgres')?.resources?.limits?.memory;
    await new Promise((r) => setTimeout(r, 5_000)); // two resyncs' worth of chances to (wrongly) apply it
    assert.notEqual(await template(), '1536Mi', 'no change while paused');
    await patch('Postgres', 'pg', { metadata: { annotations: { [PAUSE_ANNOTATION]: null } } });
    await eventually('pg template changed after resume', async () => ((await template()) === '1536Mi' ? true : undefined), 60_000);
    const resumed = await phase('Postgres', 'pg', 'Ready');
    assert.equal(getCondition(resumed.status?.conditions, 'Paused')?.status, 'False');
  });

  it('reports a version missing from the catalog as a condition and changes no StatefulSet', async () => {
    await create('Postgres', 'ghost', { version: '16.99' });
    const db = await phase('Postgres', 'ghost', 'Failed');
    const c = getCondition(db.status?.conditions, 'VersionResolved');
    assert.equal(c?.status, 'False');
    assert.match(c?.message ?? '', /spec\.version "16\.99" is not in the PostgresVersion catalog/);
    await assert.rejects(sts('ghost'), /404|not found/i);
    // An existing database moved to an unknown version keeps its StatefulSet as it was.
    await patch('Postgres', 'pg', { spec: { version: '16.98' } });
    await phase('Postgres', 'pg', 'Failed');
    const s: V1StatefulSet = await sts('pg');
    assert.equal(s.spec?.template.spec?.containers[0]?.image, 'postgres:16.15');
  });

  it('deleting a database lets the garbage collector remove its children', async () => {
    await clients().custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: plural('SingleStore'), namespace: ns.name, name: 'sdb' });
    await eventually('sdb StatefulSets gone', async () => {
      const names = (await clients().apps.listNamespacedStatefulSet({ namespace: ns.name })).items.map((x) => x.metadata?.name);
      return names.some((n) => n?.startsWith('sdb-')) ? undefined : true;
    }, 90_000);
    await eventually('sdb Secrets gone', async () => {
      const names = (await clients().core.listNamespacedSecret({ namespace: ns.name })).items.map((x) => x.metadata?.name);
      return names.some((n) => n?.startsWith('sdb-')) ? undefined : true;
    }, 90_000);
  });
});
