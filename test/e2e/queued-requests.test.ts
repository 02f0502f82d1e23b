// Plans are made against the state a request will act on: a request queued behind another one is
// judged again once it is its turn (watcher and worker as processes, real Postgres). Each case
// fails when the plan made at creation is used: a lost parameter, a restart skipped because the
// Pods were already replaced by the request ahead, a minor update rolled onto upgraded data.
import assert from 'node:assert/strict';
import { getCondition } from '../../src/api/conditions.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('queued requests are judged again at their turn (real Postgres)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-queue');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-queue'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    // Fewer activity slots than queued requests: a queued request waits inside its workflow and holds
    // none (when waiting held a slot, the request ahead could not run its steps).
    worker = startOpsflowProcess('worker', env, 'worker', { OPSFLOW_WORKER_MAX_ACTIVITIES: '3' });
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  const show = async (db: string, pods: string[], param: string) =>
    Promise.all(pods.map(async (p) => (await pgQuery<Record<string, string>>(ns.name, db, p, `SHOW ${param}`))[0]?.[param] ?? ''));
  const reconfigure = (name: string, db: string, conf: string) => o.create('PostgresOpsRequest', name, {
    type: 'Reconfigure', databaseRef: { name: db }, configuration: { applyConfig: { 'user.conf': conf } }, timeout: '3m',
  });
  async function resumed(db: string): Promise<void> {
    await eventually(`${db} resumed`, async () => (getCondition((await o.db(db)).status?.conditions, 'Paused')?.status === 'False' ? true : undefined), 60_000, 500);
  }

  it('two queued applyConfig requests: both parameters are set at the end', async () => {
    await o.readyPostgres('cfg', '16.13', 2);
    // Same second of creation: the names give the order (a- before b-).
    await reconfigure('a-workmem', 'cfg', 'work_mem = 12MB');
    await reconfigure('b-maintenance', 'cfg', 'maintenance_work_mem = 96MB');
    await o.successful('PostgresOpsRequest', 'a-workmem');
    await o.successful('PostgresOpsRequest', 'b-maintenance');
    assert.deepEqual(await show('cfg', ['cfg-0', 'cfg-1'], 'work_mem'), ['12MB', '12MB'], 'the first request\'s parameter survives the second');
    assert.deepEqual(await show('cfg', ['cfg-0', 'cfg-1'], 'maintenance_work_mem'), ['96MB', '96MB']);
    await resumed('cfg');
  });

  it('a restart-only parameter queued behind a Restart still restarts every Pod', async () => {
    await o.readyPostgres('rst', '16.13', 2);
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=rst');
    try {
      await o.create('PostgresOpsRequest', 'a-restart', { type: 'Restart', databaseRef: { name: 'rst' }, timeout: '3m' });
      await reconfigure('b-buffers', 'rst', 'shared_buffers = 48MB');
      await o.successful('PostgresOpsRequest', 'a-restart');
      const b = await o.successful('PostgresOpsRequest', 'b-buffers');
      assert.match(getCondition(b.status?.conditions, 'Revalidate')?.message ?? '', /rolling restart/);
      assert.deepEqual(await show('rst', ['rst-0', 'rst-1'], 'shared_buffers'), ['48MB', '48MB']);
      for (const p of ['rst-0', 'rst-1']) assert.equal(history.uids(p).length, 3, `${p}: replaced once by each request (${history.uids(p).join(', ')})`);
      await resumed('rst');
    } finally {
      await history.stop();
    }
  });

  it('a minor update queued behind a major upgrade is refused, not rolled onto the new data', async () => {
    await o.readyPostgres('maj', '16.13', 1);
    await o.create('PostgresOpsRequest', 'a-major', { type: 'UpdateVersion', databaseRef: { name: 'maj' }, updateVersion: { targetVersion: '17.11' }, timeout: '5m' });
    await o.create('PostgresOpsRequest', 'b-minor', { type: 'UpdateVersion', databaseRef: { name: 'maj' }, updateVersion: { targetVersion: '16.15' }, timeout: '5m' });
    await o.successful('PostgresOpsRequest', 'a-major');
    const b = await o.finished('PostgresOpsRequest', 'b-minor');
    assert.equal(b.status?.phase, 'Failed', b.status?.message);
    assert.match(b.status?.message ?? '', /judged again/);
    assert.equal(getCondition(b.status?.conditions, 'PauseDatabase'), undefined, 'nothing was paused or changed');
    const version = (await pgQuery<{ server_version: string }>(ns.name, 'maj', 'maj-0', 'SHOW server_version'))[0]?.server_version ?? '';
    assert.match(version, /^17\.11/);
    await resumed('maj');
  });

  it('five requests queued on one database, more than the worker\'s activity slots: served in creation order, each as soon as the one ahead ends', async () => {
    await o.readyPostgres('many', '16.13', 1);
    const names = ['q1', 'q2', 'q3', 'q4', 'q5'];
    for (const [i, n] of names.entries()) await reconfigure(n, 'many', `work_mem = ${5 + i}MB`);
    type Done = Awaited<ReturnType<typeof o.successful>>;
    const done: Done[] = [];
    for (const n of names) done.push(await o.successful('PostgresOpsRequest', n));
    const at = (r: Done, step: string) => Date.parse(getCondition(r.status?.conditions, step)?.lastTransitionTime ?? '');
    for (let i = 1; i < done.length; i++) {
      const [prev, cur] = [done[i - 1], done[i]] as [Done, Done];
      const ahead = at(prev, 'ResumeDatabase');
      const turn = at(cur, 'WaitForTurn');
      assert.ok(turn >= ahead - 1000, `${names[i]} got its turn before ${names[i - 1]} ended`);
      // Woken by the watcher's nudge, not by the 2-minute fallback look (1 s timestamp resolution).
      assert.ok(turn - ahead <= 20_000, `${names[i]} got its turn ${(turn - ahead) / 1000} s after ${names[i - 1]} ended`);
    }
    assert.deepEqual(await show('many', ['many-0'], 'work_mem'), ['9MB'], 'the last request created is the last applied');
    await resumed('many');
  });
});
