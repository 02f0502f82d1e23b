// HorizontalScaling, the pure part: which members a new count adds or removes, the judgement of the
// requested count (naming the field), and for Postgres which member is primary afterwards. Members
// are StatefulSet ordinals: a scale-up adds the next ones, a scale-down removes the highest (their
// PVCs are kept: whenScaled Retain).

/** The bounds of every member count (the databases' own spec.replicas bounds). */
export const SCALE_MIN = 1;
export const SCALE_MAX = 9;

export const memberNames = (statefulSet: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${statefulSet}-${i}`);
export const ordinalOf = (pod: string): number => Number(/-(\d+)$/.exec(pod)?.[1] ?? 0);

/** One StatefulSet's change of size. `field` is the database's spec field that records it. */
export interface ScaleChange {
  statefulSet: string;
  field: string;
  from: number;
  to: number;
  added: string[];
  removed: string[];
}

export function scaleChange(statefulSet: string, field: string, from: number, to: number): ScaleChange {
  const all = memberNames(statefulSet, Math.max(from, to));
  return { statefulSet, field, from, to, added: all.slice(from, to), removed: all.slice(to, from).reverse() };
}

/** The Validate step's summary: "3 → 2 members: removes pg-2". */
export function describeScale(c: ScaleChange): string {
  const what = c.added.length ? `adds ${c.added.join(', ')}` : `removes ${c.removed.join(', ')} (their PersistentVolumeClaims are kept)`;
  return `${c.statefulSet}: ${c.from} → ${c.to} members; ${what}`;
}

/** The problem with a requested count (naming the request's field), or undefined. */
export function countProblem(requestField: string, value: unknown): string | undefined {
  if (value === undefined) return `${requestField} is required`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${requestField}: ${JSON.stringify(value)} is not a whole number`;
  if (value < SCALE_MIN) return `${requestField}: ${value} is below ${SCALE_MIN} (a database keeps at least one member)`;
  if (value > SCALE_MAX) return `${requestField}: ${value} is above ${SCALE_MAX}, the most opsflow runs`;
  return undefined;
}

export interface PostgresScaleDecision {
  /** The primary afterwards. */
  primary: string;
  /** A removed member is the primary: switch over to this remaining standby first. */
  switchoverTo?: string;
  /** The standbys afterwards. */
  standbys: string[];
}

/**
 * Postgres: the primary is never removed. When it has an ordinal a scale-down removes, the role
 * first moves (the Switchover step) to the lowest-ordinal remaining member (or
 * spec.preferredPrimary, when that one remains).
 */
export function postgresScaleDecision(change: ScaleChange, primary: string, preferred?: string): PostgresScaleDecision | { problem: string } {
  const after = memberNames(change.statefulSet, change.to);
  if (preferred !== undefined && !after.includes(preferred)) {
    return { problem: `spec.preferredPrimary: "${preferred}" is not a member after scaling to ${change.to} (members: ${after.join(', ')})` };
  }
  if (after.includes(primary)) return { primary, standbys: after.filter((p) => p !== primary) };
  const target = preferred ?? after[0] ?? '';
  return { primary: target, switchoverTo: target, standbys: after.filter((p) => p !== target) };
}

/**
 * The physical replication slot of a member, by the convention of Patroni and the Zalando operator
 * (the member name with every character a slot name may not hold as `_`). opsflow's own standbys
 * stream without slots; a slot held for a removed member (created by a tool or by hand) would keep
 * WAL on the primary forever, so a scale-down drops it.
 */
export const slotNameOf = (pod: string): string => pod.toLowerCase().replace(/[^a-z0-9_]/g, '_');
