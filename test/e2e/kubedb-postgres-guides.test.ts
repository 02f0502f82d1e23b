// KubeDB's current Postgres guides, their manifests unchanged but for apiVersion
// (k8s/examples/kubedb/{update-version,reconfigure,restart}), applied with kubectl against the local
// cluster with real Postgres, the watcher and worker as processes: the major update 17.9 → 18.3, the
// Reconfigure guide on a Postgres using KubeDB v1's spec.configuration.secretName, the Restart guide;
// storageClassName "standard" as written there. Also spec.configuration.inline (the third spelling)
// and a claim whose StorageClass does not exist (the StorageBound condition).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { DatabaseStatus } from '../../src/api/common.ts';
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

const members = (db: string, n = 3) => Array.from({ length: n }, (_, i) => `${db}-${i}`);

describe("KubeDB's current Postgres guides end to end (only apiVersion changed; real Postgres 17 and 18)", function () {
  this.timeout(1_200_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;

  /** Applies an example file into the test namespace (its objects say namespace demo); returns the OpsRequest's name. */
  async function applyExample(file: string): Promise<string> {
    const docs = parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'examples', 'kubedb', file), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    for (const d of docs) d.metadata.namespace = ns.name;
    await kubectl(['apply', '-f', '-'], docs.map((d) => stringify(d)).join('---\n'));
    return docs.find((d) => d.kind === 'PostgresOpsRequest')?.metadata.name ?? '';
  }
  const ready = (db: string) => eventually(`${db} Ready`, async () => {
    const d = await o.db(db);
    return d.status?.phase === 'Ready' && getCondition(d.status.conditions, 'Paused')?.status !== 'True' ? d : undefined;
  }, 400_000, 1000);
  const show = (db: string, param: string, n = 3) => Promise.all(members(db, n).map(async (m) => (await pgQuery<Record<string, string>>(ns.name, db, m, `SHOW ${param}`))[0]?.[param] ?? ''));
  const streaming = (db: string, n: number) => eventually(`${db}: ${n} standby(s) streaming`, async () => {
    const rows = await pgQuery<{ state: string }>(ns.name, db, await o.primary(db), 'SELECT state FROM pg_stat_replication');
    return rows.filter((r) => r.state === 'streaming').length === n ? true : undefined;
  }, 180_000, 1000);
  const successful = (name: string) => o.successful('PostgresOpsRequest', name, 900_000);

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-kubedb-pg');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-kubedb-pg'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    // Everything the tests start from, at once (provisioning overlaps).
    await applyExample('update-version/postgres.yaml');
    await applyExample('reconfigure/pg-configuration.yaml');
    await applyExample('reconfigure/ha-postgres.yaml');
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg-inline' },
      spec: { version: '18.3', replicas: 1, configuration: { secretName: 'pg-configuration', inline: { 'user.conf': 'max_connections=135\n' } }, storage: { storageClassName: 'standard' } },
    }));
    await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg-nostorage' }, spec: { version: '18.3', replicas: 1, storage: { storageClassName: 'fast-ssd' } },
    }));
    for (const db of ['pg', 'ha-postgres']) await ready(db);
    await streaming('pg', 2);
    await streaming('ha-postgres', 2);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  it('UpdateVersion guide: 17.9 → 18.3 (pg_upgrade --link on the primary, standbys re-cloned), every Pod replaced once, data kept', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await pgQuery(ns.name, 'pg', 'pg-0', 'CREATE TABLE guide (id int PRIMARY KEY)');
    await pgQuery(ns.name, 'pg', 'pg-0', 'INSERT INTO guide SELECT generate_series(1, 1000)');
    const ops = await successful(await applyExample('update-version/upgrade_version.yaml'));
    assert.match(getCondition(ops.status?.conditions, 'CopiedOldBinaries')?.message ?? '', /17\.9/);
    assert.deepEqual(await show('pg', 'server_version'), ['18.3', '18.3', '18.3']);
    assert.deepEqual(await show('pg', 'data_checksums'), ['on', 'on', 'on'], "opsflow's 17 clusters have checksums; the 18 cluster keeps them");
    await streaming('pg', 2);
    const [row] = await pgQuery<{ n: number }>(ns.name, 'pg', 'pg-2', 'SELECT count(*)::int AS n FROM guide');
    assert.equal(row?.n, 1000, 'the data replicated to the re-cloned standby');
    for (const m of members('pg')) assert.equal(history.uids(m).length, 2, `${m} replaced exactly once`);
    await history.stop();
    assert.equal((await ready('pg')).spec.version, '18.3');
  });

  it('Reconfigure guide on spec.configuration.secretName: new config Secret, applyConfig, removeCustomConfig; the manifest keeps its spelling', async () => {
    assert.deepEqual(await show('ha-postgres', 'max_connections'), ['200', '200', '200'], 'pg-configuration applied at provisioning');
    assert.deepEqual(await show('ha-postgres', 'shared_buffers'), ['256MB', '256MB', '256MB']);
    await applyExample('reconfigure/new-pg-configuration.yaml');
    await successful(await applyExample('reconfigure/reconfigure-using-secret.yaml'));
    assert.deepEqual(await show('ha-postgres', 'max_connections'), ['250', '250', '250']);
    let db = await ready('ha-postgres');
    assert.match((db.spec.configuration as { secretName?: string }).secretName ?? '', /^ha-postgres-custom-config-/);
    assert.equal(db.spec.configSecret, undefined, 'no second spelling written');

    await successful(await applyExample('reconfigure/apply-config.yaml'));
    assert.deepEqual(await show('ha-postgres', 'max_connections'), ['230', '230', '230']);
    assert.deepEqual(await show('ha-postgres', 'shared_buffers'), ['512MB', '512MB', '512MB']);

    await successful(await applyExample('reconfigure/remove-config.yaml'));
    assert.deepEqual(await show('ha-postgres', 'max_connections'), ['100', '100', '100']);
    assert.deepEqual(await show('ha-postgres', 'shared_buffers'), ['128MB', '128MB', '128MB'], "opsflow's default (KubeDB's guide shows its own, 256MB)");
    db = await ready('ha-postgres');
    assert.equal((db.spec.configuration as { secretName?: string } | undefined)?.secretName, undefined);
  });

  it('Restart guide: every member restarted once', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=ha-postgres');
    await successful(await applyExample('restart/ops.yaml'));
    for (const m of members('ha-postgres')) assert.equal(history.uids(m).length, 2, `${m} restarted exactly once`);
    await history.stop();
    await ready('ha-postgres');
  });

  it('spec.configuration.inline: merged over secretName into a Secret; an inline edit of a running database is a Reconfigure', async () => {
    let db = await ready('pg-inline');
    assert.deepEqual(await show('pg-inline', 'max_connections', 1), ['135']);
    assert.deepEqual(await show('pg-inline', 'shared_buffers', 1), ['256MB'], 'the rest of pg-configuration');
    const conf = db.spec.configuration as { secretName?: string; inline?: unknown };
    assert.match(conf.secretName ?? '', /^pg-inline-custom-config-/);
    assert.equal(conf.inline, undefined, 'inline moved into the Secret');

    await o.patch('Postgres', 'pg-inline', { spec: { configuration: { inline: { 'user.conf': 'work_mem = 16MB\n' } } } });
    const name = await eventually('a declarative Reconfigure', async () => {
      const d = await o.db('pg-inline');
      const c = getCondition(d.status?.conditions, 'UpdatePending');
      return c?.status === 'True' ? /PostgresOpsRequest (\S+)/.exec(c.message)?.[1] : undefined;
    }, 60_000, 500);
    await successful(name);
    await eventually('pg-inline up to date', async () => (getCondition((await o.db('pg-inline')).status?.conditions, 'UpdatePending')?.status === 'False' ? true : undefined), 60_000, 500);
    assert.deepEqual(await show('pg-inline', 'work_mem', 1), ['16MB']);
    assert.deepEqual(await show('pg-inline', 'max_connections', 1), ['135'], 'merged on top of what ran');
    db = await o.db('pg-inline');
    assert.equal((db.spec.configuration as { inline?: unknown }).inline, undefined);
  });

  it('a claim whose StorageClass does not exist: StorageBound=False naming the claim and the class', async () => {
    const d = await eventually('StorageBound=False', async () => {
      const x = await o.get<DatabaseStatus>('Postgres', 'pg-nostorage');
      return getCondition(x.status?.conditions, 'StorageBound')?.status === 'False' ? x : undefined;
    }, 60_000, 500);
    const c = getCondition(d.status?.conditions, 'StorageBound');
    assert.equal(c?.reason, 'ClaimNotBound');
    assert.match(c?.message ?? '', /PersistentVolumeClaim data-pg-nostorage-0 is Pending: StorageClass "fast-ssd" does not exist/);
    assert.match(getCondition(d.status?.conditions, 'Ready')?.message ?? '', /0\/1 ready; PersistentVolumeClaim data-pg-nostorage-0 .*fast-ssd/);
    const h = await o.get<DatabaseStatus>('Postgres', 'ha-postgres');
    assert.equal(getCondition(h.status?.conditions, 'StorageBound')?.status, 'True', 'claims of the standard class are bound');
  });
});
