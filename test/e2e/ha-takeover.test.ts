// The two HA scenarios that run with every `npm test` (the longer ones are in test/ha, `npm run
// test:ha`): two watchers electing a leader with the default lease, the leader SIGKILLed
// mid-rollout (the follower takes over within the lease duration + 5 s, the run goes on, every
// Pod is replaced once, no write by a watcher that was not leading), then the kube-apiserver
// stopped for 60 s while a run ends (the run still ends and the database is resumed).
import assert from 'node:assert/strict';
import { restartApiserver } from '../../devenv/control-plane.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { haWatchers } from '../support/ha.ts';
import { tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('HA e2e: the leader watcher SIGKILLed mid-rollout, the kube-apiserver away for 60 s', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let ha: ReturnType<typeof haWatchers>;
  let worker: OpsflowProcess;
  const report: string[] = [];

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('hae');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('hae'), namespace: ns.name };
    ha = haWatchers(env, o, report);
    worker = startOpsflowProcess('worker', env);
    ha.start('watcher-a');
    await ha.waitLeader('watcher-a');
    ha.start('watcher-b');
    await Promise.all([ha.waitReady('watcher-b'), o.readyPostgres('pg', '16.13', 2)]);
  });
  after(async () => {
    await ha?.stopAll();
    await worker?.stop();
    await ns?.remove();
    process.stdout.write(`      HA summary:\n${report.map((l) => `        ${l}\n`).join('')}`);
  });

  it('the leader SIGKILLed mid-rollout: the follower takes over in time, the run goes on, every Pod replaced once, no write by a non-leader', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await ha.restart('rs-1', 'pg');
    await ha.rolled('rs-1', 1);
    await ha.takeover('watcher-a', 'watcher-b', 'SIGKILL', 'mid-rollout');
    await o.successful('PostgresOpsRequest', 'rs-1', 300_000);
    ha.onceEach(history, ['pg-0', 'pg-1']);
    await history.stop();
    await ha.resumed('pg');
    ha.writes();
  });

  it('the kube-apiserver stopped for 60 s while a run is ending: the run still ends and the database is resumed', async () => {
    await ha.restart('rs-60', 'pg');
    await ha.rolled('rs-60', 2); // the last Pod is rolled: next come ResumeDatabase and the final status
    const t0 = Date.now();
    const started = await restartApiserver(60_000);
    const x = await o.finished('PostgresOpsRequest', 'rs-60', 300_000);
    await ha.resumed('pg');
    report.push(`kube-apiserver down 60 s at the end of rs-60: ${x.status?.phase} (${x.status?.message}), resumed ${((Date.now() - t0) / 1000).toFixed(0)} s after the stop; started again: ${started.join(', ')}`);
    assert.ok(['Successful', 'Failed'].includes(x.status?.phase ?? ''), 'a final phase');
  });
});
