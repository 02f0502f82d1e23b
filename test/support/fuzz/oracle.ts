// What the fuzz test expects of an outcome, pure: refusals name a field; config that issue 11 says
// must be refused (harmful or malformed lines) never takes effect; timeouts outside 10 s .. 24 h are
// refused by the API server.
import type { ConfLine } from './arbitraries.ts';

/** A message names a field when it mentions spec.<field> (or spec[...]). */
export function namesField(message: string | undefined): boolean {
  return /\bspec(\.[A-Za-z]|\[)/.test(message ?? '');
}

/** Pure: why an accepted-and-applied config breaks the rules, or undefined. */
export function mustHaveBeenRefused(lines: ConfLine[]): string | undefined {
  const bad = lines.filter((l) => l.kind === 'harmful' || l.kind === 'malformed');
  return bad.length ? bad.map((l) => `${l.kind} line accepted: ${l.line}`).join('; ') : undefined;
}

export interface Snapshot {
  pods: Record<string, string>;
  statefulSetGeneration?: number;
  configSecret?: string;
  databaseSpec: string;
  databaseGeneration?: number;
}

/** Pure: how two snapshots differ ('' when they do not). */
export function snapshotDiff(a: Snapshot, b: Snapshot): string {
  const out: string[] = [];
  if (JSON.stringify(a.pods) !== JSON.stringify(b.pods)) out.push(`Pod UIDs ${JSON.stringify(a.pods)} → ${JSON.stringify(b.pods)}`);
  if (a.statefulSetGeneration !== b.statefulSetGeneration) out.push(`StatefulSet generation ${a.statefulSetGeneration} → ${b.statefulSetGeneration}`);
  if (a.configSecret !== b.configSecret) out.push('config Secret changed');
  if (a.databaseSpec !== b.databaseSpec) out.push(`database spec ${a.databaseSpec} → ${b.databaseSpec}`);
  if (a.databaseGeneration !== b.databaseGeneration) out.push(`database generation ${a.databaseGeneration} → ${b.databaseGeneration}`);
  return out.join('; ');
}
