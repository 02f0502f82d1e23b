// Watchers electing a leader, as real processes, for the HA tests (test/ha and test/e2e): start
// them, wait until one leads or follows, kill the leader and time the takeover, and the checks
// every HA scenario makes (each Pod replaced once, the database resumed).
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { eventually } from './kube.ts';
import type { objects } from './ops.ts';
import type { watchPodUids } from './pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess, type ProcessEnv } from './processes.ts';
import { becameLeaderAt, logLines, writesByIdentity } from './watcher-logs.ts';

/** The watcher's defaults: lease 15 s, renew deadline 10 s, retry period 2 s. */
export const LEASE_S = 15;

export function haWatchers(env: ProcessEnv, o: ReturnType<typeof objects>, report: string[]) {
  const watchers: Array<{ name: string; p: OpsflowProcess; until?: number }> = [];
  const entry = (name: string) => watchers.find((w) => w.name === name);
  const leaderAt = (name: string) => becameLeaderAt(entry(name)?.p.logFile ?? '');

  const self = {
    watchers,
    start(name: string): OpsflowProcess {
      const p = startOpsflowProcess('watcher', env, name, { OPSFLOW_LOG_LEVEL: 'debug', OPSFLOW_LEADER_IDENTITY: name, OPSFLOW_RUN_CHECK_SECONDS: '2', OPSFLOW_PAUSE_CHECK_SECONDS: '2' });
      watchers.push({ name, p });
      return p;
    },
    waitLeader: (name: string, timeoutMs = 240_000) => eventually(`${name} leader`, async () => leaderAt(name), timeoutMs, 100),
    /** Up and following: its informers are warm and its elector runs ("watcher ready"). */
    waitReady: (name: string) => eventually(`${name} ready`, async () => (logLines(entry(name)?.p.logFile ?? '').some((l) => l.msg === 'watcher ready') ? true : undefined), 240_000, 100),
    /** Kills `from` and times until `to` logs that it leads; asserts the lease duration + 5 s bound. */
    async takeover(from: string, to: string, how: 'SIGKILL' | 'SIGTERM', what: string): Promise<number> {
      const w = entry(from);
      assert.ok(w, `no watcher ${from}`);
      const t0 = Date.now();
      await (how === 'SIGKILL' ? w.p.kill() : w.p.stop());
      w.until = Date.now();
      const at = await self.waitLeader(to, (LEASE_S + 30) * 1000);
      const s = (at - t0) / 1000;
      report.push(`${what}: ${from} ${how} → ${to} leader after ${s.toFixed(1)} s`);
      process.stdout.write(`      takeover (${what}, ${how}): ${s.toFixed(1)} s\n`);
      assert.ok(s <= LEASE_S + 5, `takeover took ${s} s, more than the lease duration + 5 s`);
      return s;
    },
    /** Never two leaders acting: every write each watcher sent, and those sent while it did not lead (must be none). */
    writes() {
      const { counts, overlapping } = writesByIdentity(watchers.map((w) => ({ name: w.name, file: w.p.logFile, until: w.until })));
      report.push(`writes by identity: ${JSON.stringify(counts)}; by a non-leader: ${overlapping.length}`);
      process.stdout.write(`      writes by identity: ${JSON.stringify(counts)}; by a non-leader: ${overlapping.length}\n`);
      assert.deepEqual(overlapping, []);
      assert.ok(Object.values(counts).reduce((x, y) => x + y, 0) > 0, 'the leaders wrote');
    },
    async stopAll(): Promise<void> {
      for (const w of watchers) await w.p.stop();
    },
    /** A Restart OpsRequest (kubectl apply, as a user would). */
    restart: (name: string, db: string) => kubectl(['apply', '-n', env.namespace, '-f', '-'], stringify({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name }, spec: { type: 'Restart', databaseRef: { name: db }, timeout: '5m' } })),
    /** Waits until n RestartPod steps of the request succeeded. */
    rolled: (name: string, n: number) => eventually(`${name}: ${n} Pod(s) rolled`, async () => {
      const c = (await o.ops(name)).status?.conditions ?? [];
      return c.filter((x) => x.type.startsWith('RestartPod-') && x.status === 'True').length >= n ? true : undefined;
    }, 300_000, 200),
    /** No pause left, and the provisioner manages the database again (Ready, not Paused). */
    async resumed(db: string): Promise<void> {
      const d = await o.db(db);
      assert.equal(d.metadata.annotations?.[PAUSE_ANNOTATION], undefined, `${db} still paused by ${d.metadata.annotations?.[PAUSE_ANNOTATION]}`);
      await eventually(`${db} Ready and not Paused`, async () => {
        const x = await o.db(db);
        return x.status?.phase === 'Ready' && x.status.conditions?.find((c) => c.type === 'Paused')?.status !== 'True' ? true : undefined;
      }, 60_000, 500);
    },
    onceEach(history: Awaited<ReturnType<typeof watchPodUids>>, pods: string[]): void {
      for (const p of pods) assert.equal(history.uids(p).length, 2, `${p} replaced exactly once: ${history.uids(p).join(', ')}`);
    },
  };
  return self;
}
