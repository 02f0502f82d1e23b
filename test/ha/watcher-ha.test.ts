// Two of everything, with real processes on the local stack: watchers electing a leader on a Lease
// (the leader SIGKILLed mid-provisioning and mid-rollout, a Deployment-style rolling replacement in
// the middle of a pause handshake), writes counted by identity (never two leaders acting), a run
// terminated from the Temporal CLI (final phase on the OpsRequest, the pause cleared with an Event),
// and the kube-apiserver restarted 5 times during a run and stopped for 60 s while a run ends.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { execFileAsync } from '../../devenv/process.ts';
import { restartApiserver } from '../../devenv/control-plane.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { bins } from '../../devenv/paths.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';
import { becameLeaderAt, logLines, writesByIdentity } from '../support/watcher-logs.ts';

const LEASE_S = 15; // the defaults: 15 s / 10 s / 2 s

describe('HA: two watchers with leader election, the API server and Temporal coming and going', function () {
  this.timeout(1_200_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let env: { temporalAddress: string; taskQueue: string; namespace: string };
  let worker: OpsflowProcess;
  const watchers: Array<{ name: string; p: OpsflowProcess; until?: number }> = [];
  const report: string[] = [];

  const startWatcher = (name: string) => {
    const p = startOpsflowProcess('watcher', env, name, { OPSFLOW_LOG_LEVEL: 'debug', OPSFLOW_LEADER_IDENTITY: name, OPSFLOW_RUN_CHECK_SECONDS: '2', OPSFLOW_PAUSE_CHECK_SECONDS: '2' });
    watchers.push({ name, p });
    return p;
  };
  const entry = (name: string) => watchers.find((w) => w.name === name);
  const leaderAt = (name: string) => becameLeaderAt(entry(name)?.p.logFile ?? '');
  const waitLeader = (name: string, timeoutMs = 240_000) => eventually(`${name} leader`, async () => leaderAt(name), timeoutMs, 100);
  /** Up and following: its informers are warm and its elector runs ("watcher ready"). */
  const waitReady = (name: string) => eventually(`${name} ready`, async () => (logLines(entry(name)?.p.logFile ?? '').some((l) => l.msg === 'watcher ready') ? true : undefined), 240_000, 100);
  const kill = async (name: string, how: 'SIGKILL' | 'SIGTERM') => {
    const w = entry(name);
    assert.ok(w);
    const t = Date.now();
    await (how === 'SIGKILL' ? w.p.kill() : w.p.stop());
    w.until = Date.now();
    return t;
  };
  const takeover = async (from: string, to: string, how: 'SIGKILL' | 'SIGTERM', what: string) => {
    const t0 = await kill(from, how);
    const at = await waitLeader(to, (LEASE_S + 30) * 1000);
    const s = (at - t0) / 1000;
    report.push(`${what}: ${from} ${how} → ${to} leader after ${s.toFixed(1)} s`);
    process.stdout.write(`      takeover (${what}, ${how}): ${s.toFixed(1)} s\n`);
    assert.ok(s <= LEASE_S + 5, `takeover took ${s} s, more than the lease duration + 5 s`);
  };
  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  const restart = (name: string, db: string) => apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name }, spec: { type: 'Restart', databaseRef: { name: db }, timeout: '5m' } });
  const rolled = (name: string, n: number) => eventually(`${name}: ${n} Pod(s) rolled`, async () => {
    const c = (await o.ops(name)).status?.conditions ?? [];
    return c.filter((x) => x.type.startsWith('RestartPod-') && x.status === 'True').length >= n ? true : undefined;
  }, 300_000, 200);
  const resumed = async (db: string) => {
    const d = await o.db(db);
    assert.equal(d.metadata.annotations?.[PAUSE_ANNOTATION], undefined, `${db} still paused by ${d.metadata.annotations?.[PAUSE_ANNOTATION]}`);
    await eventually(`${db} Ready and not Paused`, async () => {
      const x = await o.db(db);
      return x.status?.phase === 'Ready' && x.status.conditions?.find((c) => c.type === 'Paused')?.status !== 'True' ? true : undefined;
    }, 60_000, 500);
  };
  const onceEach = (history: Awaited<ReturnType<typeof watchPodUids>>, pods: string[]) => {
    for (const p of pods) assert.equal(history.uids(p).length, 2, `${p} replaced exactly once: ${history.uids(p).join(', ')}`);
  };

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('ha');
    o = objects(ns.name);
    env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('ha'), namespace: ns.name };
    worker = startOpsflowProcess('worker', env);
    startWatcher('watcher-a');
    await waitLeader('watcher-a');
    startWatcher('watcher-b');
    await waitReady('watcher-b');
  });
  after(async () => {
    for (const w of watchers) await w.p.stop();
    await worker?.stop();
    await ns?.remove();
    process.stdout.write(`      HA summary:\n${report.map((l) => `        ${l}\n`).join('')}`);
  });

  it('the leader SIGKILLed mid-provisioning: the follower takes over within the lease duration + 5 s and finishes', async () => {
    await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg' }, spec: { version: '16.13', replicas: 2 } });
    await eventually('StatefulSet pg created by the leader', async () => (await clients().apps.readNamespacedStatefulSet({ name: 'pg', namespace: ns.name }).catch(() => undefined)) ? true : undefined, 60_000, 100);
    await takeover('watcher-a', 'watcher-b', 'SIGKILL', 'mid-provisioning');
    await eventually('pg Ready', async () => ((await o.db('pg')).status?.phase === 'Ready' ? true : undefined), 180_000, 500);
  });

  it('the leader SIGKILLed mid-rollout: the run goes on, the new leader resumes the database, every Pod replaced once', async () => {
    startWatcher('watcher-c');
    await waitReady('watcher-c');
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await restart('rs-1', 'pg');
    await rolled('rs-1', 1);
    await takeover('watcher-b', 'watcher-c', 'SIGKILL', 'mid-rollout');
    await o.successful('PostgresOpsRequest', 'rs-1', 300_000);
    onceEach(history, ['pg-0', 'pg-1']);
    await history.stop();
    await resumed('pg');
  });

  it('a rolling replacement (new watcher up, old one SIGTERMed) in the middle of the pause handshake', async () => {
    startWatcher('watcher-d');
    await waitReady('watcher-d'); // the surge Pod is up and following
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await restart('rs-2', 'pg');
    // The run has asked for the pause; the old leader has not necessarily acknowledged it yet.
    await eventually('pause requested', async () => ((await o.db('pg')).metadata.annotations?.[PAUSE_ANNOTATION] ? true : undefined), 60_000, 20);
    await takeover('watcher-c', 'watcher-d', 'SIGTERM', 'rolling replacement mid pause handshake');
    await o.successful('PostgresOpsRequest', 'rs-2', 300_000);
    onceEach(history, ['pg-0', 'pg-1']);
    await history.stop();
    await resumed('pg');
  });

  it('never two leaders acting: Kubernetes writes counted by identity', () => {
    const { counts, overlapping } = writesByIdentity(watchers.map((w) => ({ name: w.name, file: w.p.logFile, until: w.until })));
    report.push(`writes by identity: ${JSON.stringify(counts)}; by a non-leader: ${overlapping.length}`);
    process.stdout.write(`      writes by identity: ${JSON.stringify(counts)}; by a non-leader: ${overlapping.length}\n`);
    assert.deepEqual(overlapping, []);
    assert.ok(Object.values(counts).reduce((x, y) => x + y, 0) > 0, 'the leaders wrote');
  });

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
    await resumed('pg');
  });

  it('the kube-apiserver restarted 5 times during a run: the run ends Successful, every Pod replaced once, the watcher still sees new requests', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=pg');
    await restart('rs-api', 'pg');
    await eventually('rs-api under way', async () => ((await o.ops('rs-api')).status?.conditions?.find((c) => c.type === 'PauseDatabase')?.status === 'True' ? true : undefined), 120_000, 100);
    const restarted: string[] = [];
    for (let i = 0; i < 5; i++) restarted.push(...(await restartApiserver(3000)));
    await o.successful('PostgresOpsRequest', 'rs-api', 300_000);
    onceEach(history, ['pg-0', 'pg-1']);
    await history.stop();
    await resumed('pg');
    // Watches were re-listed: a request created after the restarts is picked up and runs.
    await restart('rs-after', 'pg');
    await o.successful('PostgresOpsRequest', 'rs-after', 300_000);
    const revived = restarted.filter((c) => c !== 'kube-apiserver').length;
    report.push(`kube-apiserver restarted 5 times (3 s down each) during rs-api: Successful, each Pod replaced once; controllers started again after a lost lease: ${revived}`);
  });

  it('the kube-apiserver stopped for 60 s while a run is ending: the run still ends and the database is resumed', async () => {
    await restart('rs-60', 'pg');
    await rolled('rs-60', 2); // the last Pod is rolled: next come ResumeDatabase and the final status
    const t0 = Date.now();
    const restartedAfter = await restartApiserver(60_000);
    const x = await o.finished('PostgresOpsRequest', 'rs-60', 300_000);
    await resumed('pg');
    report.push(`kube-apiserver down 60 s at the end of rs-60: ${x.status?.phase} (${x.status?.message}), resumed ${((Date.now() - t0) / 1000).toFixed(0)} s after the stop; started again: ${restartedAfter.join(', ')}`);
    assert.ok(['Successful', 'Failed'].includes(x.status?.phase ?? ''), 'a final phase');
  });
});
