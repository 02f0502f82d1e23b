// ProxySQL UpdateVersion planning (pure): the members and the order they are rolled in.
import type { ProxySQL } from '../../api/databases.ts';

export const proxysqlMembers = (db: ProxySQL): string[] =>
  Array.from({ length: db.spec.replicas }, (_, i) => `${db.metadata.name ?? ''}-${i}`);

/**
 * ProxySQL Cluster members are peers (no primary), so any order is safe as long as one member at a
 * time is down. Highest ordinal first, `<db>-0` last (the order a StatefulSet RollingUpdate uses):
 * `<db>-0` is the member that always exists, so it keeps serving the longest on the old version,
 * and a scale-down racing the update only ever removes members that are already done.
 */
export function proxysqlRolloutOrder(members: string[]): string[] {
  const ordinal = (pod: string) => Number(/-(\d+)$/.exec(pod)?.[1] ?? 0);
  return [...members].sort((a, b) => ordinal(b) - ordinal(a));
}
