// A major upgrade that fails after pg_upgrade succeeded on the primary, end to end (watcher and
// worker processes, real Postgres 16 → 17 on the local data plane): a standby cannot re-clone (its
// old data cannot be moved aside: a file on its volume that nobody may delete). The rollback
// decision reads the primary's state (it answers as 17), so nothing is rolled back: the primary
// stays on 17 and restarts on it, status.applied and the StatefulSet say 17, the request ends
// Failed naming the standby, and the provisioner creates no OpsRequest that would downgrade.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, isReady, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const FROM = '16.13';
const TO = '17.11';

/** The local directory of a PersistentVolumeClaim's volume. */
async function volumeDir(namespace: string, claim: string): Promise<string> {
  const { core } = clients();
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace });
  const pv = await core.readPersistentVolume({ name: pvc.spec?.volumeName ?? '' });
  const dir = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
  assert.ok(dir, `PersistentVolume of ${claim} has a local path`);
  return dir;
}

/**
 * A file in `dir` that the Pod's processes cannot delete: immutable (chattr +i) when the tests run
 * as root (the runtime's user namespace maps root, so permissions alone would not stop it),
 * otherwise a directory without write permission. Returns the undo.
 */
function undeletable(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'blocker');
  writeFileSync(file, 'this file keeps the standby from moving its data aside\n');
  if (process.getuid?.() === 0) {
    const r = spawnSync('chattr', ['+i', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chattr +i ${file} failed (${r.stderr.trim() || r.error?.message}): this test needs a filesystem with immutable files (ext4, xfs)`);
    return () => { spawnSync('chattr', ['-i', file]); };
  }
  chmodSync(dir, 0o555);
  return () => chmodSync(dir, 0o755);
}

describe('Postgres major upgrade failing after the primary upgraded (end to end, real Postgres)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;
  let undo: (() => void) | undefined;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-pgup');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-pgup'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
  });
  after(async () => {
    undo?.();
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));

  it('a standby that fails to re-clone leaves the primary on the new major, able to restart; Failed, naming the standby', async () => {
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'up' }, spec: { version: FROM, replicas: 2 } });
    await eventually('up Ready', async () => ((await o.db('up')).status?.phase === 'Ready' ? true : undefined), 300_000, 1000);
    await pgQuery(ns.name, 'up', 'up-0', 'CREATE TABLE marks (id int primary key)');
    await pgQuery(ns.name, 'up', 'up-0', 'INSERT INTO marks SELECT generate_series(1, 300)');
    // The standby re-clones by moving its PostgreSQL 16 data to data.old-16 first (bootstrap.sh).
    undo = undeletable(join(await volumeDir(ns.name, 'data-up-1'), 'data.old-16'));

    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'up-17' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'up' }, updateVersion: { targetVersion: TO }, timeout: '3m' } });
    const ops = await o.finished('PostgresOpsRequest', 'up-17');
    const conditions = ops.status?.conditions ?? [];
    assert.equal(ops.status?.phase, 'Failed', ops.status?.message);
    assert.match(ops.status?.message ?? '', /Pod up-1 does not start/, 'names the standby');
    assert.equal(getCondition(conditions, 'RestartPod-up-0')?.status, 'True', 'the primary was upgraded');
    assert.match(getCondition(conditions, 'RollbackDecision')?.message ?? '', /^KeepUpgrade: up-0 answers as PostgreSQL 17/);
    assert.equal(getCondition(conditions, 'RollbackStatefulSet'), undefined, 'nothing rolled back');

    // Resumed; what runs is recorded and rendered: no image other than the primary's.
    const db = await eventually('up resumed', async () => {
      const d = await o.db('up');
      return getCondition(d.status?.conditions, 'Paused')?.status === 'False' ? d : undefined;
    }, 120_000, 1000);
    assert.equal((db.status as { applied?: { version?: string } } | undefined)?.applied?.version, TO);
    const pending = await eventually('UpdatePending says spec.version is behind', async () => {
      const c = getCondition((await o.db('up')).status?.conditions, 'UpdatePending');
      return c?.reason === 'NewerVersionRunning' ? c : undefined;
    }, 60_000, 1000);
    assert.match(pending.message, /spec\.version 16\.13 is older than the running version 17\.11/);
    const sts = await clients().apps.readNamespacedStatefulSet({ name: 'up', namespace: ns.name });
    assert.equal(sts.spec?.template.spec?.containers.find((c) => c.name === 'postgres')?.image, `postgres:${TO}`);
    const all = await clients().custom.listNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresopsrequests', namespace: ns.name }) as { items: Array<{ metadata: { name: string } }> };
    assert.deepEqual(all.items.map((x) => x.metadata.name), ['up-17'], 'no OpsRequest created by the provisioner (no downgrade)');

    // The primary restarts on 17 with its data.
    const before = (await clients().core.readNamespacedPod({ name: 'up-0', namespace: ns.name })).metadata?.uid;
    await clients().core.deleteNamespacedPod({ name: 'up-0', namespace: ns.name });
    await eventually('up-0 replaced and Ready', async () => {
      const p = await clients().core.readNamespacedPod({ name: 'up-0', namespace: ns.name }).catch(() => undefined);
      return p && p.metadata?.uid !== before && isReady(p) ? true : undefined;
    }, 180_000, 1000);
    const [v] = await pgQuery<{ server_version: string; n: number }>(ns.name, 'up', 'up-0', 'SELECT current_setting(\'server_version\') AS server_version, (SELECT count(*)::int FROM marks) AS n');
    assert.equal(v?.server_version.split(' ')[0], TO);
    assert.equal(v?.n, 300);
  });
});
