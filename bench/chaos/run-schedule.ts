// Runs one chaos schedule on the local stack: a fresh Postgres (real postgres processes), one
// OpsRequest, its faults at their moments, then the verdict: final phase within the bound, every
// Pod replaced at most once, the database resumed, and a Successful run actually in effect.
import { getCondition } from '../../src/api/conditions.ts';
import { reviveControlPlane } from '../../devenv/control-plane.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { eventually, sleep } from '../../devenv/process.ts';
import { objects } from '../../test/support/ops.ts';
import { watchPodUids } from '../../test/support/pod-history.ts';
import { pgQuery } from '../../test/support/sql.ts';
import type { ChaosProcesses } from './processes.ts';
import type { FaultRecord, Outcome } from './report.ts';
import type { Schedule } from './schedule.ts';

const FINAL = ['Successful', 'Failed', 'Skipped'];

export interface ScheduleContext {
  namespace: string;
  procs: ChaosProcesses;
  /** Bound on the run, from the OpsRequest's creation to its final phase. */
  boundMs: number;
  log: (line: string) => void;
}

/** Pure: the OpsRequest spec of a schedule. */
export function opsSpec(s: Schedule, db: string): Record<string, unknown> {
  const base = { databaseRef: { name: db }, timeout: '5m' };
  switch (s.operation) {
    case 'UpdateVersionMinor':
    case 'UpdateVersionMajor':
      return { ...base, type: 'UpdateVersion', updateVersion: { targetVersion: s.toVersion } };
    case 'Reconfigure':
      return { ...base, type: 'Reconfigure', configuration: { applyConfig: { 'user.conf': `${s.applyConfig?.param} = ${s.applyConfig?.value}\n` } } };
    case 'Restart':
      return { ...base, type: 'Restart' };
  }
}

/** Pure: what a status says is going on: the running step, else the phase. */
export function currentStep(st: OpsRequestStatus | undefined): string {
  const running = st?.conditions?.filter((c) => c.status === 'Unknown').map((c) => c.type);
  return running?.length ? running.join('+') : (st?.phase ?? 'no status yet');
}

export async function runSchedule(s: Schedule, ctx: ScheduleContext): Promise<Outcome> {
  const o = objects(ctx.namespace);
  const db = `c${s.index}`;
  const members = Array.from({ length: s.replicas }, (_, i) => `${db}-${i}`);
  const started = Date.now();
  const outcome: Outcome = { schedule: s, replacements: {}, leftPaused: false, faults: [], seconds: 0 };
  try {
    // A controller that exited after an earlier fault (lost leader lease) would starve this schedule.
    const revived = await reviveControlPlane();
    if (revived.length) ctx.log(`   (control plane components found dead and started again: ${revived.join(', ')})`);
    await o.create('Postgres', db, { version: s.fromVersion, replicas: s.replicas });
    await eventually(`${db} Ready`, async () => ((await o.db(db)).status?.phase === 'Ready' ? true : undefined), 240_000, 1000);
    if (s.replicas > 1) {
      await eventually(`${db}: standbys streaming`, async () => {
        const rows = await pgQuery<{ state: string }>(ctx.namespace, db, `${db}-0`, 'SELECT state FROM pg_stat_replication');
        return rows.filter((r) => r.state === 'streaming').length === s.replicas - 1 ? true : undefined;
      }, 120_000, 1000);
    }
  } catch (e) {
    outcome.setupError = e instanceof Error ? e.message : String(e);
    await o.remove('Postgres', db).catch(() => undefined);
    return outcome;
  }

  const history = await watchPodUids(ctx.namespace, `app.kubernetes.io/instance=${db}`);
  const opsName = `${db}-ops`;
  const t0 = Date.now();
  await o.create('PostgresOpsRequest', opsName, opsSpec(s, db));
  let last: OpsRequestStatus | undefined;
  const read = async () => {
    try {
      last = (await o.ops(opsName)).status;
    } catch {
      // the API server may be down (a fault): keep the last status seen
    }
    return last;
  };
  const isFinal = () => FINAL.includes(last?.phase ?? '');
  let deadline = t0 + ctx.boundMs;

  // The faults, one after another at their moments (skipped once the run is over).
  const faults = (async () => {
    for (const f of s.faults) {
      const rec: FaultRecord = { kind: f.kind };
      outcome.faults.push(rec);
      const wait = t0 + f.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      await read();
      if (isFinal()) continue;
      rec.firedAtMs = Date.now() - t0;
      rec.during = currentStep(last);
      const struck = Date.now();
      try {
        await ctx.procs.strike(f);
      } catch (e) {
        rec.error = e instanceof Error ? e.message : String(e);
      }
      // The bound is on opsflow, not on this machine's start-up times: time spent down is added.
      deadline += Date.now() - struck;
    }
  })();
  while (!isFinal() && Date.now() < deadline) {
    await sleep(1000);
    await read();
  }
  await faults; // every process is back before the verdict
  await read();
  outcome.seconds = (Date.now() - t0) / 1000;
  if (isFinal()) {
    outcome.phase = last?.phase;
    outcome.message = last?.message;
  } else {
    outcome.lastSeen = `${last?.phase ?? 'no phase'} / ${currentStep(last)}: ${last?.message ?? ''}`;
    if (last?.workflow?.id) outcome.lastSeen += `; ${await ctx.procs.describeRun(last.workflow.id)}`;
  }

  // Resumed: the pause annotation gone and the provisioner's Paused condition False (after a grace).
  if (isFinal()) {
    try {
      await eventually(`${db} resumed`, async () => {
        const d = await o.db(db);
        return !d.metadata.annotations?.[PAUSE_ANNOTATION] && getCondition(d.status?.conditions, 'Paused')?.status !== 'True' ? true : undefined;
      }, 60_000, 1000);
    } catch {
      outcome.leftPaused = true;
    }
  }
  await sleep(2000); // late replacements (a Pod deleted at the very end) are seen too
  for (const m of members) outcome.replacements[m] = Math.max(0, history.uids(m).length - 1);
  await history.stop();
  if (outcome.phase === 'Successful') outcome.wrongEffect = await checkEffect(s, ctx.namespace, db, members, outcome.replacements);
  await o.remove('Postgres', db).catch(() => undefined);
  ctx.log(`   (${((Date.now() - started) / 1000).toFixed(0)} s including setup)`);
  return outcome;
}

/** A Successful run must be in effect on every member; returns what is not, or undefined. */
async function checkEffect(s: Schedule, namespace: string, db: string, members: string[], replacements: Record<string, number>): Promise<string | undefined> {
  const problems: string[] = [];
  const restarts = s.operation !== 'Reconfigure' || s.applyConfig?.restart;
  if (restarts) {
    const notReplaced = members.filter((m) => (replacements[m] ?? 0) === 0);
    if (notReplaced.length) problems.push(`not replaced: ${notReplaced.join(', ')}`);
  }
  const [sql, want] = s.operation.startsWith('UpdateVersion') ? ['SHOW server_version', s.toVersion ?? '']
    : s.operation === 'Reconfigure' ? [`SHOW ${s.applyConfig?.param}`, s.applyConfig?.value ?? ''] : ['', ''];
  if (sql) {
    for (const m of members) {
      try {
        const got = await eventually(`${m}: ${sql}`, async () => {
          const [row] = await pgQuery<Record<string, string>>(namespace, db, m, sql);
          return row ? String(Object.values(row)[0] ?? '').split(' ')[0] : undefined;
        }, 30_000, 1000);
        if (got !== want) problems.push(`${m}: ${sql} = ${got}, want ${want}`);
      } catch (e) {
        problems.push(`${m}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return problems.length ? problems.join('; ') : undefined;
}
