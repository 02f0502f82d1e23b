// Chaos outcomes and their tally, pure: what one schedule ended with, and the counts a run prints.
import type { FaultKind, Schedule } from './schedule.ts';

export interface FaultRecord {
  kind: FaultKind;
  /** ms after creation when it struck; undefined when the run had ended before its moment. */
  firedAtMs?: number;
  /** The OpsRequest's running step (or phase) at that moment, when the API server answered. */
  during?: string;
  error?: string;
}

export interface Outcome {
  schedule: Schedule;
  /** Final phase, or undefined when the run was not final within the bound. */
  phase?: string;
  message?: string;
  /** Phase and message seen last when not final. */
  lastSeen?: string;
  /** Pod name → how many times it was replaced during the run. */
  replacements: Record<string, number>;
  /** The database still paused (annotation or Paused=True) after the run ended and a grace period. */
  leftPaused: boolean;
  /** Successful but not in effect (a member on another version or value, a Pod not restarted). */
  wrongEffect?: string;
  /** The schedule could not even start (database not Ready): not counted as an opsflow result. */
  setupError?: string;
  faults: FaultRecord[];
  seconds: number;
}

export interface Tally {
  schedules: number;
  successful: number;
  failed: number;
  skipped: number;
  failedReasons: Record<string, number>;
  podsReplacedMoreThanOnce: number;
  databasesLeftPaused: number;
  notFinal: number;
  successfulButWrong: number;
  setupErrors: number;
}

/** Pure: a failure message without the names and numbers that differ between runs, for grouping. */
export function reasonKey(message: string | undefined): string {
  return (message ?? '(no message)').replace(/\bc\d+(-\d+)?\b/g, '<db>').replace(/\d+(\.\d+)?/g, 'N').slice(0, 160);
}

export function tally(outcomes: Outcome[]): Tally {
  const t: Tally = {
    schedules: outcomes.length, successful: 0, failed: 0, skipped: 0, failedReasons: {},
    podsReplacedMoreThanOnce: 0, databasesLeftPaused: 0, notFinal: 0, successfulButWrong: 0, setupErrors: 0,
  };
  for (const o of outcomes) {
    if (o.setupError) {
      t.setupErrors++;
      continue;
    }
    if (o.phase === 'Successful') t.successful++;
    else if (o.phase === 'Skipped') t.skipped++;
    else if (o.phase === 'Failed') {
      t.failed++;
      const k = reasonKey(o.message);
      t.failedReasons[k] = (t.failedReasons[k] ?? 0) + 1;
    } else t.notFinal++;
    t.podsReplacedMoreThanOnce += Object.values(o.replacements).filter((n) => n > 1).length;
    if (o.leftPaused) t.databasesLeftPaused++;
    if (o.wrongEffect) t.successfulButWrong++;
  }
  return t;
}

/** Pure: the lines a chaos run ends with. */
export function formatTally(t: Tally, seed: number): string {
  const lines = [
    `chaos seed ${seed}: ${t.schedules} schedule(s)`,
    `  Successful                   ${t.successful}`,
    `  Failed                       ${t.failed}`,
    ...Object.entries(t.failedReasons).map(([r, n]) => `    ${n} × ${r}`),
    `  Skipped                      ${t.skipped}`,
    `  Pods replaced more than once ${t.podsReplacedMoreThanOnce}`,
    `  Databases left paused        ${t.databasesLeftPaused}`,
    `  Runs not final after bound   ${t.notFinal}`,
    `  Successful but not in effect ${t.successfulButWrong}`,
  ];
  if (t.setupErrors) lines.push(`  Schedules not started (database never Ready) ${t.setupErrors}`);
  return lines.join('\n');
}

/** Pure: one line about one outcome. */
export function formatOutcome(o: Outcome): string {
  if (o.setupError) return `   setup failed: ${o.setupError}`;
  const twice = Object.entries(o.replacements).filter(([, n]) => n > 1).map(([p, n]) => `${p} ×${n}`);
  const faults = o.faults.map((f) => (f.firedAtMs === undefined ? `${f.kind}: not fired (run over)` : `${f.kind}@${(f.firedAtMs / 1000).toFixed(1)}s during ${f.during ?? '?'}${f.error ? ` (error: ${f.error})` : ''}`));
  return [
    `   → ${o.phase ?? `NOT FINAL (${o.lastSeen ?? 'never seen'})`} in ${o.seconds.toFixed(0)} s${o.message ? `: ${o.message}` : ''}`,
    `     faults: ${faults.join('; ') || 'none'}`,
    ...(twice.length ? [`     PODS REPLACED MORE THAN ONCE: ${twice.join(', ')}`] : []),
    ...(o.leftPaused ? ['     DATABASE LEFT PAUSED'] : []),
    ...(o.wrongEffect ? [`     SUCCESSFUL BUT NOT IN EFFECT: ${o.wrongEffect}`] : []),
  ].join('\n');
}
