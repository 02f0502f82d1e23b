// The plan of a run as steps with states and times; every change is mirrored to the OpsRequest
// status by an activity, and the progress query reads it. Deterministic (workflow clock only).
import { isCancellation, setHandler } from '@temporalio/workflow';
import { countOperation, recordStepDuration, type OpsMetricTags } from './metrics.ts';
import { publishRunState } from './search-attributes.ts';
import type { OpsPhase, Progress, Step } from './shared.ts';
import { progressQuery } from './shared.ts';

export class Tracker {
  private phase: OpsPhase = 'Pending';
  private message = 'accepted';
  private readonly steps: Step[] = [];
  private dirty = false;
  private publishing: Promise<void> | undefined;

  /**
   * background: step changes are published off the critical path (in order, coalesced to the
   * latest snapshot) instead of each one being awaited; phase changes are always awaited.
   */
  constructor(
    private readonly publish: (p: Progress) => Promise<void>,
    private readonly background = false,
    private readonly metricTags?: OpsMetricTags,
    /** Publishes the final phase (retried without bound by the caller's activity options). */
    private readonly publishFinal: (p: Progress) => Promise<void> = publish,
  ) {
    setHandler(progressQuery, () => this.snapshot());
  }

  get currentPhase(): OpsPhase {
    return this.phase;
  }

  private emit(): Promise<void> {
    if (!this.background) return this.publish(this.snapshot());
    this.dirty = true;
    this.publishing ??= (async () => {
      while (this.dirty) {
        this.dirty = false;
        // The status is a mirror of the run: a publish that fails for good does not fail the run.
        await this.publish(this.snapshot()).catch(() => undefined);
      }
      this.publishing = undefined;
    })();
    return Promise.resolve();
  }

  /** Waits until every step change so far is published. */
  async flush(): Promise<void> {
    while (this.publishing) await this.publishing;
  }

  snapshot(): Progress {
    return { phase: this.phase, message: this.message, steps: this.steps.map((s) => ({ ...s })) };
  }

  /** Declares steps up front so the whole plan is visible before it runs. */
  plan(names: string[]): void {
    for (const name of names) if (!this.steps.some((s) => s.name === name)) this.steps.push({ name, state: 'Pending' });
  }

  /** Declares one step right before another one (or at the end when that one is not planned). */
  planBefore(name: string, before: string): void {
    if (this.steps.some((s) => s.name === name)) return;
    const i = this.steps.findIndex((s) => s.name === before);
    this.steps.splice(i < 0 ? this.steps.length : i, 0, { name, state: 'Pending' });
  }

  /**
   * Re-declares the steps still to run (after the request was judged again): steps that ran keep
   * their place and state, Pending ones not in the new list go, new ones follow in order.
   */
  replan(names: string[]): void {
    const ran = this.steps.filter((s) => s.state !== 'Pending');
    const pending = names.filter((n) => !ran.some((s) => s.name === n)).map((n) => this.steps.find((s) => s.name === n) ?? { name: n, state: 'Pending' as const });
    this.steps.splice(0, this.steps.length, ...ran, ...pending);
  }

  /** Declares one step right after the steps that already ran. */
  planNext(name: string): void {
    if (this.steps.some((s) => s.name === name)) return;
    const i = this.steps.findIndex((s) => s.state === 'Pending');
    this.steps.splice(i < 0 ? this.steps.length : i, 0, { name, state: 'Pending' });
  }

  /**
   * The status is a mirror of the run: a phase write that fails for good does not fail the run
   * (the final one is retried without bound, and the watcher also derives it from the result).
   */
  async setPhase(phase: OpsPhase, message: string): Promise<void> {
    this.phase = phase;
    this.message = message;
    const final = phase === 'Successful' || phase === 'Failed' || phase === 'Skipped';
    if (this.metricTags && final) countOperation(this.metricTags, phase);
    publishRunState(this.snapshot());
    await this.flush();
    await (final ? this.publishFinal : this.publish)(this.snapshot()).catch((e: unknown) => {
      if (isCancellation(e)) throw e;
    });
  }

  private find(name: string): Step {
    let s = this.steps.find((x) => x.name === name);
    if (!s) {
      s = { name, state: 'Pending' };
      this.steps.push(s);
    }
    return s;
  }

  async mark(name: string, state: Step['state'], message?: string): Promise<void> {
    const s = this.find(name);
    const now = new Date().toISOString();
    if (state === 'Running') s.startedAt = now;
    else s.finishedAt = now;
    if (this.metricTags && state !== 'Running' && state !== 'Pending' && s.startedAt) {
      recordStepDuration(this.metricTags, name, state, (Date.parse(now) - Date.parse(s.startedAt)) / 1000);
    }
    s.state = state;
    if (message !== undefined) s.message = message;
    publishRunState(this.snapshot());
    await this.emit();
  }

  /** Runs one step: Running → Succeeded (with the message fn returns) or Failed (with the error). */
  async step<T>(name: string, fn: () => Promise<T>, describe?: (r: T) => string): Promise<T> {
    await this.mark(name, 'Running');
    try {
      const r = await fn();
      await this.mark(name, 'Succeeded', describe?.(r) ?? (typeof r === 'string' ? r : undefined));
      return r;
    } catch (e) {
      await this.mark(name, 'Failed', errorMessage(e));
      throw e;
    }
  }
}

/** The innermost message of a Temporal failure chain (ActivityFailure → ApplicationFailure). */
export function errorMessage(e: unknown): string {
  let cur: unknown = e;
  let msg = '';
  while (cur instanceof Error) {
    if (cur.message) msg = cur.message;
    cur = (cur as { cause?: unknown }).cause;
  }
  return msg || String(e);
}
