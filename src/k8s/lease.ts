// Leader election on a coordination.k8s.io/v1 Lease, pure part: what a candidate does with the
// Lease it read (client-go's rules). Expiry is judged by the LOCAL time at which this candidate
// last saw the record change, never by the holder's clock (renewTime), so clock skew between
// replicas cannot make two of them leader.

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Observation {
  /** The record as last seen (compared field by field to notice a renewal). */
  record: LeaseRecord;
  /** Local clock (ms) when that record was first seen. */
  at: number;
}

export type LeaseDecision =
  | { action: 'create'; record: LeaseRecord }
  | { action: 'update'; record: LeaseRecord; acquired: boolean }
  | { action: 'wait'; holder: string; expiresInMs: number };

/** The Kubernetes MicroTime format (6 fractional digits); the API server refuses milliseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const sameRecord = (a: LeaseRecord, b: LeaseRecord) =>
  a.holderIdentity === b.holderIdentity && a.renewTime === b.renewTime && a.leaseTransitions === b.leaseTransitions;

/** Pure: the observation after reading `record` at local time `now`. */
export function observe(prev: Observation | undefined, record: LeaseRecord, now: number): Observation {
  return prev && sameRecord(prev.record, record) ? prev : { record, at: now };
}

/**
 * Pure: what `identity` does with the Lease record it just read (undefined: no Lease yet).
 * A free Lease (no holder, e.g. released by a leader that stopped) is taken at once; another
 * holder's Lease only after it went unrenewed for its whole duration as observed locally.
 */
export function decide(record: LeaseRecord | undefined, obs: Observation | undefined, identity: string, now: number, leaseDurationMs: number): LeaseDecision {
  const fresh = (acquire: boolean, prev?: LeaseRecord): LeaseRecord => ({
    holderIdentity: identity,
    leaseDurationSeconds: Math.max(1, Math.round(leaseDurationMs / 1000)),
    acquireTime: acquire ? microTime(now) : prev?.acquireTime ?? microTime(now),
    renewTime: microTime(now),
    leaseTransitions: acquire ? (prev?.leaseTransitions ?? -1) + 1 : prev?.leaseTransitions ?? 0,
  });
  if (!record) return { action: 'create', record: fresh(true) };
  const holder = record.holderIdentity ?? '';
  if (holder === identity) return { action: 'update', record: fresh(false, record), acquired: false };
  if (holder !== '') {
    const seenAt = obs && sameRecord(obs.record, record) ? obs.at : now;
    const duration = (record.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    const expiresInMs = seenAt + duration - now;
    if (expiresInMs > 0) return { action: 'wait', holder, expiresInMs };
  }
  return { action: 'update', record: fresh(true, record), acquired: true };
}

/**
 * Pure: when the next round runs. Every retry period, except that a follower whose holder's Lease
 * expires sooner tries right after it expires (client-go waits for its next period, up to one
 * retry period more before a takeover).
 */
export function nextRoundInMs(retryPeriodMs: number, expiresInMs?: number): number {
  if (expiresInMs === undefined) return retryPeriodMs;
  return Math.min(retryPeriodMs, Math.max(0, expiresInMs) + 50);
}
