// Roles across a major upgrade (watcher and worker processes, real Postgres, pg_upgrade --link):
// the roles and databases of spec.users / spec.databases survive 16 → 17, their Secrets still log
// in, and a role added while the upgrade runs (the database paused) is created on the upgraded
// primary once the run resumes the database. In test/slow: a major upgrade costs more than the e2e
// budget allows.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { loginWithSecret, readOwners, readRoles } from '../support/postgres-roles.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('Postgres roles across a major upgrade', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('slow-roles');
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('roles-up'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  it('16.15 → 17.11: roles, owners and Secrets survive; a role added during the run is created on 17', async () => {
    const o = objects(ns.name);
    const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'up' }, spec: { version: '16.15', replicas: 1, users: { app: ['CREATEDB'] }, databases: { appdb: 'app' } } });
    const rolesSynced = () => eventually('RolesSynced True', async () => {
      const d = await o.db('up');
      const c = getCondition(d.status?.conditions, 'RolesSynced');
      return d.status?.phase === 'Ready' && c?.status === 'True' && c.observedGeneration === d.metadata.generation ? d : undefined;
    }, 300_000, 500);
    await rolesSynced();
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'up-major' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'up' }, updateVersion: { targetVersion: '17.11' }, timeout: '5m' } });
    await eventually('the database paused by the run', async () => (getCondition((await o.db('up')).status?.conditions, 'Paused')?.status === 'True' ? true : undefined), 120_000, 200);
    await kubectl(['patch', '-n', ns.name, 'postgres', 'up', '--type', 'merge', '-p', JSON.stringify({ spec: { users: { 'during-upgrade': [] }, databases: { 'during-db': 'during-upgrade' } } })]);
    await o.successful('PostgresOpsRequest', 'up-major');
    await rolesSynced();
    const [v] = await pgQuery<{ server_version: string }>(ns.name, 'up', 'up-0', 'SHOW server_version');
    assert.match(v?.server_version ?? '', /^17\.11/);
    assert.equal((await readRoles(ns.name, 'up', 'up-0', ['app'])).app?.rolcreatedb, true);
    assert.ok((await readRoles(ns.name, 'up', 'up-0', ['during-upgrade']))['during-upgrade'], 'the role added during the run exists');
    assert.deepEqual(await readOwners(ns.name, 'up', 'up-0'), { appdb: 'app', 'during-db': 'during-upgrade' });
    assert.deepEqual(await loginWithSecret(ns.name, 'up-0', 'app.up.credentials', 'appdb'), { u: 'app', d: 'appdb' });
    assert.deepEqual(await loginWithSecret(ns.name, 'up-0', 'during-upgrade.up.credentials', 'during-db'), { u: 'during-upgrade', d: 'during-db' });
  });
});
