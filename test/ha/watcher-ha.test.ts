// Two of everything, with real processes on the local stack: watchers electing a leader on a Lease
// (the leader SIGKILLed mid-provisioning, a Deployment-style rolling replacement in the middle of a
// pause handshake), writes counted by identity (never two leaders acting), a run terminated from
// the Temporal CLI (final phase on the OpsRequest, the pause cleared with an Event), and the
// kube-apiserver restarted 5 times during a run. The leader SIGKILLed mid-rollout and the 60 s
// API server outage run with every `npm test` (test/e2e/ha-takeover.test.ts).
import assert from 'node:assert/strict';
import { execFileAsync } from '../../devenv/process.ts';
import { restartApiserver } from '../../devenv/control-plane.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { bins } from '../../devenv/paths.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { haWatchers } from '../support/ha.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('HA: two watchers with leader election, the API server and Temporal coming and going', function () {
  this.timeout(1_200_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let ha: ReturnType<typeof haWatchers>;
  let worker: OpsflowProcess;
  const report: string[] = [];

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('ha');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('ha'), namespace: ns.name };
    ha = haWatchers(env, o, report);
    worker = startOpsflowProcess('worker', env);
    ha.start('watcher-a');
    await ha.waitLeader('watcher-a');
    ha.start('watcher-b');
    await ha.waitReady('watcher-b');
  });
  after(async () => {
    await ha?.stopAll();
    await worker?.stop();
    await ns?.remove();
    process.stdout.write(`      HA summary:\n${report.map((l) => `        ${l}\n`).join('')}`);
  });

  it('the leader SIGKILLed mid-provisioning: the follower takes over within the lease duration + 5 s and finishes', async () => {
    await o.create('Postgres', 'pg', { version: '16.13', replicas: 2 });
    await eventually('StatefulSet pg created by the leader', async () => (await clients().apps.readNamespacedStatefulSet({ name: 'pg', namespace: ns.name }).catch(() => undefined)) ? true : undefined, 60_000, 100);
    await ha.takeover('watcher-a', 'watcher-b', 'SIGKILL', 'mid-provisioning');
    await eventually('pg Ready', async () => ((await o.db('pg')).status?.phase === 'Ready' ? true : undefined), 180_000, 500);
  });

  it('a rolling replacement (new watcher up, old one SIGTERMed) in the middle of the pause handshake', async () => {
    ha.start('watcher-c');
    await ha.waitReady('watcher-c'); // the surge Pod is up and following
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await ha.restart('rs-2', 'pg');
    // The run has asked for the pause; the old leader has not necessarily acknowledged it yet.
    await eventually('pause requested', async () => ((await o.db('pg')).metadata.annotations?.[PAUSE_ANNOTATION] ? true : undefined), 60_000, 20);
    await ha.takeover('watcher-b', 'watcher-c', 'SIGTERM', 'rolling replacement mid pause handshake');
    await o.successful('PostgresOpsRequest', 'rs-2', 300_000);
    ha.onceEach(history, ['pg-0', 'pg-1']);
    await history.stop();
    await ha.resumed('pg');
  });

  it('never two leaders acting: Kubernetes writes counted by identity', () => ha.writes());

  it('a run terminated from the Temporal CLI: the OpsRequest ends Failed naming TERMINATED, and the pause is cleared with an Event', async () => {
    const ops = await o.pgops('rs-term', { type: 'Restart', databaseRef: { name: 'pg' }, timeout: '5m' });
    await eventually('rs-term paused the database', async () => ((await o.ops('rs-term')).status?.conditions?.find((c) => c.type === 'PauseDatabase')?.status === 'True' ? true : undefined), 120_000, 100);
    await execFileAsync(bins.temporal, ['workflow', 'terminate', '--address', temporalAddress(), '--workflow-id', workflowIdFor(ops), '--reason', 'terminated by the HA test']);
    const x = await o.finished('PostgresOpsRequest', 'rs-term', 60_000);
    assert.equal(x.status?.phase, 'Failed');
    assert.match(x.status?.message ?? '', /TERMINATED.*terminated by the HA test/);
    await eventually('pause cleared', async () => ((await o.db('pg')).metadata.annotations?.[PAUSE_ANNOTATION] === undefined ? true : undefined), 60_000, 200);
    const events = await clients().events.listNamespacedEvent({ namespace: ns.name });
    const e = events.items.find((i) => i.reason === 'PauseCleared' && i.regarding?.name === 'pg');
    assert.ok(e, 'a PauseCleared Event on the database');
    assert.match(e.note ?? '', /PostgresOpsRequest\/rs-term.*TERMINATED/);
    await ha.resumed('pg');
  });

  it('the kube-apiserver restarted 5 times during a run: the run ends Successful, every Pod replaced once, the watcher still sees new requests', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await ha.restart('rs-api', 'pg');
    await eventually('rs-api under way', async () => ((await o.ops('rs-api')).status?.conditions?.find((c) => c.type === 'PauseDatabase')?.status === 'True' ? true : undefined), 120_000, 100);
    const restarted: string[] = [];
    for (let i = 0; i < 5; i++) restarted.push(...(await restartApiserver(3000)));
    await o.successful('PostgresOpsRequest', 'rs-api', 300_000);
    ha.onceEach(history, ['pg-0', 'pg-1']);
    await history.stop();
    await ha.resumed('pg');
    // Watches were re-listed: a request created after the restarts is picked up and runs.
    await ha.restart('rs-after', 'pg');
    await o.successful('PostgresOpsRequest', 'rs-after', 300_000);
    const revived = restarted.filter((c) => c !== 'kube-apiserver');
    report.push(`kube-apiserver restarted 5 times (3 s down each) during rs-api: Successful, each Pod replaced once; controllers started again after a lost lease: ${revived.length ? revived.join(', ') : 'none'}`);
  });
});
