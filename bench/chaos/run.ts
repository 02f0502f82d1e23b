// A chaos run: K seeded schedules, one after another, in one namespace with its own worker, watcher
// and Temporal dev server; bounded per run and in total (no new schedule starts after the deadline).
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { tempNamespace } from '../../test/support/kube.ts';
import { ChaosProcesses } from './processes.ts';
import { formatOutcome, formatTally, tally, type Outcome, type Tally } from './report.ts';
import { runSchedule } from './run-schedule.ts';
import { describeSchedule, makeSchedules, type ScheduleOptions } from './schedule.ts';

export interface ChaosOptions {
  seed: number;
  k: number;
  /** Per run: from the OpsRequest's creation to a final phase. */
  boundMs: number;
  /** The whole run: no schedule starts after this much time. */
  totalMs: number;
  schedules?: ScheduleOptions;
  log?: (line: string) => void;
  /** Keep the namespace (and its OpsRequests) afterwards, for inspection. */
  keep?: boolean;
}

export interface ChaosResult {
  outcomes: Outcome[];
  tally: Tally;
  /** Schedules not run because the total time was up. */
  notRun: number;
  namespace: string;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const schedules = makeSchedules(opts.seed, opts.k, opts.schedules);
  await installCrdsAndCatalog();
  const ns = await tempNamespace(`chaos-${opts.seed}`);
  const namespace = ns.name;
  const runId = namespace.slice('chaos-'.length);
  log(`chaos seed ${opts.seed}, ${schedules.length} schedule(s), bound ${opts.boundMs / 1000} s per run, ${Math.round(opts.totalMs / 60_000)} min in all; namespace ${namespace}`);
  for (const s of schedules) log(`  ${describeSchedule(s)}`);
  const procs = await ChaosProcesses.start(namespace, runId);
  log(`worker ${procs.logs().worker}, watcher ${procs.logs().watcher}, Temporal ${procs.env.temporalAddress} (UI http://127.0.0.1:${procs.temporal.uiPort})`);
  const outcomes: Outcome[] = [];
  const end = Date.now() + opts.totalMs;
  try {
    for (const s of schedules) {
      if (Date.now() > end) break;
      log(`== ${describeSchedule(s)}`);
      const out = await runSchedule(s, { namespace, procs, boundMs: opts.boundMs, log });
      outcomes.push(out);
      log(formatOutcome(out));
    }
  } finally {
    await procs.stop();
    // Runs left open hold their OpsRequests' finalizers (the watcher is gone): remove() drops them.
    if (!opts.keep) await ns.remove();
  }
  const t = tally(outcomes);
  log(formatTally(t, opts.seed));
  const notRun = schedules.length - outcomes.length;
  if (notRun) log(`  (${notRun} schedule(s) not run: the total time was up)`);
  return { outcomes, tally: t, notRun, namespace };
}
