// Leader election on a Lease (the loop; the rules are in lease.ts). Every write to the Lease is a
// replace with the resourceVersion read, so two candidates can never both win one round.
// Leadership is also bounded by time: isLeader() turns false as soon as the last successful renew
// is older than the renew deadline, without waiting for the loop, so a leader whose API calls hang
// stops writing before any follower may take over (renewDeadline < leaseDuration).
import * as k8s from '@kubernetes/client-node';
import { apiErrorMessage, isConflict, isNotFound } from './client.ts';
import { decide, nextRoundInMs, observe, type LeaseRecord, type Observation } from './lease.ts';
import type { Logger } from '../logger.ts';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface Leadership {
  isLeader(): boolean;
}

/** For processes (and tests) that run without election: always the leader. */
export const alwaysLeader: Leadership = { isLeader: () => true };

export interface LeaderElectorOptions extends LeaderElectionConfig {
  kc: k8s.KubeConfig;
  log: Logger;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  now?: () => number;
}

const timeout = <T>(p: Promise<T>, ms: number): Promise<T> => Promise.race([
  p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref()),
]);

export class LeaderElector implements Leadership {
  private readonly api: k8s.CoordinationV1Api;
  private readonly now: () => number;
  private observation: Observation | undefined;
  private leading = false;
  /** Local time at which the last successful renew was SENT (conservative). */
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  /** How soon the holder's Lease expires, as judged in the last round (undefined: not waiting for one). */
  private expiresInMs: number | undefined;

  constructor(private readonly o: LeaderElectorOptions) {
    this.api = o.kc.makeApiClient(k8s.CoordinationV1Api);
    this.now = o.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.leading && this.now() - this.renewedAt < this.o.renewDeadlineMs;
  }

  get identity(): string {
    return this.o.identity;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.loop = this.round().finally(() => this.schedule(nextRoundInMs(this.o.retryPeriodMs, this.expiresInMs)));
    }, ms);
  }

  private async round(): Promise<void> {
    const sentAt = this.now();
    let ok = false;
    this.expiresInMs = undefined;
    try {
      // Bounded like client-go's renew (by the renew deadline); isLeader() is bounded by the clock anyway.
      ok = await timeout(this.tryAcquireOrRenew(sentAt), this.o.renewDeadlineMs);
    } catch (e) {
      if (!isConflict(e)) this.o.log.warn('lease round failed', { lease: this.leaseName(), error: apiErrorMessage(e) });
    }
    if (this.stopped) return;
    if (ok) {
      this.renewedAt = sentAt;
      this.armDeadline();
      if (!this.leading) {
        this.leading = true;
        this.o.log.info('became leader', { lease: this.leaseName(), identity: this.o.identity });
        this.o.onStartedLeading?.();
      }
    } else if (this.leading && !this.isLeader()) {
      this.lose('could not renew the lease within the renew deadline');
    }
  }

  /** Drops leadership when the renew deadline passes, even while a round is stuck. */
  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (this.leading && !this.isLeader()) this.lose('renew deadline passed');
    }, this.o.renewDeadlineMs + 1);
    this.deadlineTimer.unref();
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.o.log.warn('lost leadership', { lease: this.leaseName(), identity: this.o.identity, reason });
    this.o.onStoppedLeading?.();
  }

  private leaseName(): string {
    return `${this.o.namespace}/${this.o.name}`;
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const { namespace, name } = this.o;
    let lease: k8s.V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const record = lease?.spec as LeaseRecord | undefined;
    if (record) this.observation = observe(this.observation, record, now);
    const d = decide(record, this.observation, this.o.identity, now, this.o.leaseDurationMs);
    if (d.action === 'wait') {
      this.expiresInMs = d.expiresInMs;
      if (this.leading) this.lose(`the lease is held by ${d.holder}`);
      return false;
    }
    const spec = d.record as unknown as k8s.V1LeaseSpec;
    if (d.action === 'create') {
      await this.api.createNamespacedLease({ namespace, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec } });
    } else {
      await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
    }
    this.observation = { record: d.record, at: now };
    return true;
  }

  /** Stops the loop; a leader releases the Lease so a follower takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    // Writes stop first; then the Lease is released if this process still holds it (a renew that
    // was in flight when stop() began may have succeeded: holding it is what counts, not the clock).
    const wasLeading = this.leading;
    this.leading = false;
    if (wasLeading) this.o.onStoppedLeading?.();
    await this.loop.catch(() => undefined);
    try {
      const { namespace, name } = this.o;
      const lease = await timeout(this.api.readNamespacedLease({ name, namespace }), this.o.renewDeadlineMs);
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      const spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: undefined } as unknown as k8s.V1LeaseSpec;
      await timeout(this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }), this.o.renewDeadlineMs);
      this.o.log.info('lease released', { lease: this.leaseName(), identity: this.o.identity });
    } catch (e) {
      this.o.log.warn('could not release the lease; a follower takes over when it expires', { error: apiErrorMessage(e) });
    }
  }
}
