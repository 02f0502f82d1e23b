// Postgres Reconfigure end to end, with KubeDB's own example OpsRequests (k8s/examples/kubedb, only
// apiVersion changed) applied by kubectl to a 3-member Postgres, the watcher and worker as processes:
// a restart only when a changed parameter needs one (in the safe order), a reload otherwise, values
// read back with SHOW on every member, invalid configs Failed with nothing changed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { repoDir } from '../../devenv/paths.ts';
import { eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const DB = 'pg';
const members = [0, 1, 2].map((i) => `${DB}-${i}`);

describe('Postgres Reconfigure end to end (KubeDB examples, real Postgres)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;
  let history: Awaited<ReturnType<typeof watchPodUids>>;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-pgcfg');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-cfg'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: DB }, spec: { version: '16.13', replicas: 3 } }));
    await eventually(`${DB} Ready`, async () => ((await o.db(DB)).status?.phase === 'Ready' ? true : undefined), 300_000, 1000);
    await eventually('both standbys streaming', async () => {
      const rows = await pgQuery<{ state: string }>(ns.name, DB, await o.primary(DB), 'SELECT state FROM pg_stat_replication');
      return rows.filter((r) => r.state === 'streaming').length === 2 ? true : undefined;
    }, 120_000, 1000);
    history = await watchPodUids(ns.name, `app.kubernetes.io/instance=${DB}`);
  });
  after(async () => {
    await history?.stop();
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  /** Applies an example file into the test namespace (its objects say namespace demo). */
  async function applyExample(file: string): Promise<string> {
    const docs = parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'examples', file), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    for (const d of docs) d.metadata.namespace = ns.name;
    await kubectl(['apply', '-f', '-'], docs.map((d) => stringify(d)).join('---\n'));
    return docs.find((d) => d.kind === 'PostgresOpsRequest')?.metadata.name ?? '';
  }

  const finished = (name: string) => o.finished('PostgresOpsRequest', name);

  async function show(param: string): Promise<string[]> {
    return Promise.all(members.map(async (m) => (await pgQuery<Record<string, string>>(ns.name, DB, m, `SHOW ${param}`))[0]?.[param] ?? ''));
  }

  const uidCounts = () => members.map((m) => history.uids(m).length);
  const startedAt = (ops: Awaited<ReturnType<typeof finished>>, step: string) => getCondition(ops.status?.conditions, step)?.lastTransitionTime ?? '';

  async function assertResumed(): Promise<void> {
    await eventually('database resumed and Ready', async () => {
      const d = await o.db(DB);
      return getCondition(d.status?.conditions, 'Paused')?.status === 'False' && d.status?.phase === 'Ready' ? true : undefined;
    }, 60_000, 500);
  }

  it('configSecret (KubeDB example): replaces the custom config; postmaster parameters → rolling restart, standbys first, then a switchover', async () => {
    const before = uidCounts();
    const primary = await o.primary(DB);
    const ops = await finished(await applyExample('kubedb/pg-reconfigure-configsecret.yaml'));
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    assert.deepEqual(await show('max_connections'), ['250', '250', '250']);
    assert.deepEqual(await show('shared_buffers'), ['350MB', '350MB', '350MB']);
    assert.deepEqual(uidCounts(), before.map((n) => n + 1), 'every Pod replaced exactly once');
    for (const standby of members.filter((m) => m !== primary)) {
      assert.ok(startedAt(ops, `RestartPod-${standby}`) <= startedAt(ops, 'Switchover'), `the standby ${standby} restarted before the switchover`);
    }
    assert.ok(startedAt(ops, 'Switchover') <= startedAt(ops, `RestartPod-${primary}`), 'the old primary rejoined last');
    assert.notEqual(await o.primary(DB), primary, 'the primary moved to an updated standby');
    const db = await o.db(DB);
    assert.match((db.spec.configSecret as { name: string }).name, /^pg-custom-config-/);
    await assertResumed();
  });

  it('applyConfig (KubeDB example): merged on top; lowering max_connections restarts the primary first (no switchover)', async () => {
    const before = uidCounts();
    const primary = await o.primary(DB);
    const ops = await finished(await applyExample('kubedb/pg-reconfigure-applyconfig.yaml'));
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    assert.deepEqual(await show('max_connections'), ['230', '230', '230']);
    assert.deepEqual(await show('shared_buffers'), ['512MB', '512MB', '512MB']);
    assert.deepEqual(uidCounts(), before.map((n) => n + 1), 'every Pod replaced exactly once');
    for (const standby of members.filter((m) => m !== primary)) {
      assert.ok(startedAt(ops, `RestartPod-${primary}`) <= startedAt(ops, `RestartPod-${standby}`), `the primary ${primary} restarted before ${standby}`);
    }
    assert.equal(getCondition(ops.status?.conditions, 'Switchover'), undefined, 'no switchover');
    assert.equal(await o.primary(DB), primary);
  });

  it('restart: auto with only reloadable parameters: no Pod replaced, new values on every member, the rest kept', async () => {
    const before = uidCounts();
    const ops = await finished(await applyExample('pgops-reconfigure-reload.yaml'));
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    assert.deepEqual(await show('checkpoint_timeout'), ['10min', '10min', '10min']);
    assert.deepEqual(await show('work_mem'), ['8MB', '8MB', '8MB']);
    assert.deepEqual(await show('max_connections'), ['230', '230', '230'], 'parameters of earlier requests kept');
    assert.deepEqual(uidCounts(), before, 'no Pod replaced');
    assert.equal(getCondition(ops.status?.conditions, 'ReloadConfig')?.status, 'True');
  });

  it('invalid configs end Failed naming the field and the parameter; nothing changes', async () => {
    const before = uidCounts();
    const dbBefore = await o.db(DB);
    const cases: Array<[string, string, RegExp]> = [
      ['bad-name', 'max_connectionz = 5', /spec\.configuration\.applyConfig\["user\.conf"\]: unknown parameter "max_connectionz"/],
      ['bad-value', 'shared_buffers = lots', /spec\.configuration\.applyConfig\["user\.conf"\]: shared_buffers: "lots" is not an integer/],
      ['bad-range', 'max_connections = 0', /max_connections: "0" is out of range/],
    ];
    for (const [name, conf, why] of cases) {
      await o.create('PostgresOpsRequest', name, { type: 'Reconfigure', databaseRef: { name: DB }, configuration: { applyConfig: { 'user.conf': conf } } });
      const ops = await finished(name);
      assert.equal(ops.status?.phase, 'Failed');
      assert.match(ops.status?.message ?? '', why);
      assert.equal(getCondition(ops.status?.conditions, 'PauseDatabase'), undefined, 'never paused');
    }
    await o.create('PostgresOpsRequest', 'bad-secret', { type: 'Reconfigure', databaseRef: { name: DB }, configuration: { configSecret: { name: 'no-such-secret' } } });
    const missing = await finished('bad-secret');
    assert.match(missing.status?.message ?? '', /spec\.configuration\.configSecret \(Secret no-such-secret\): not found/);
    const dbAfter = await o.db(DB);
    assert.deepEqual(dbAfter.spec.configSecret, dbBefore.spec.configSecret, 'spec.configSecret unchanged');
    assert.equal(dbAfter.metadata.generation, dbBefore.metadata.generation, 'the database is not changed');
    assert.deepEqual(uidCounts(), before, 'no Pod replaced');
    assert.deepEqual(await show('max_connections'), ['230', '230', '230']);
  });

  it('removeCustomConfig (KubeDB example): back to the defaults, spec.configSecret removed', async () => {
    const ops = await finished(await applyExample('kubedb/pg-reconfigure-remove.yaml'));
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    assert.deepEqual(await show('max_connections'), ['100', '100', '100']);
    assert.deepEqual(await show('work_mem'), ['4MB', '4MB', '4MB']);
    assert.equal((await o.db(DB)).spec.configSecret, undefined);
    await assertResumed();
  });

  it('Restart (KubeDB example): every Pod restarted once', async () => {
    const before = uidCounts();
    const ops = await finished(await applyExample('kubedb/pg-restart.yaml'));
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    assert.deepEqual(uidCounts(), before.map((n) => n + 1));
    await assertResumed();
  });
});
