// SingleStore rollout planning (pure): which Pods a SingleStore has, by role, and the order they are
// rolled in: leaves first, then the child aggregators, the master aggregator last (so the node that
// owns the cluster metadata restarts once, when every other member already runs the new version).
import type { SingleStore } from '../../api/databases.ts';
import { governingServiceName } from '../common.ts';
import { masterAggregatorPod, statefulSetName, type SingleStoreRole } from './render.ts';

export interface SingleStorePod {
  pod: string;
  statefulSet: string;
  role: SingleStoreRole;
  master: boolean;
}

const ordinal = (pod: string) => Number(/-(\d+)$/.exec(pod)?.[1] ?? 0);

/** Every Pod of one role (or both), by ordinal. */
export function rolePods(db: SingleStore, role: SingleStoreRole): SingleStorePod[] {
  const sts = statefulSetName(db, role);
  return Array.from({ length: db.spec.topology[role].replicas }, (_, i) => {
    const pod = `${sts}-${i}`;
    return { pod, statefulSet: sts, role, master: pod === masterAggregatorPod(db) };
  });
}

/**
 * The rollout order of the given roles' Pods: leaves (highest ordinal first), then the child
 * aggregators (highest ordinal first), the master aggregator last.
 */
export function rolloutOrder(db: SingleStore, roles: readonly SingleStoreRole[] = ['leaf', 'aggregator']): SingleStorePod[] {
  const desc = (a: SingleStorePod, b: SingleStorePod) => ordinal(b.pod) - ordinal(a.pod);
  const leaves = roles.includes('leaf') ? rolePods(db, 'leaf').sort(desc) : [];
  const aggs = roles.includes('aggregator') ? rolePods(db, 'aggregator') : [];
  return [...leaves, ...aggs.filter((p) => !p.master).sort(desc), ...aggs.filter((p) => p.master)];
}

/** The DNS name a member registers under (`<pod>.<db>-pods.<ns>.svc`), what SHOW LEAVES/AGGREGATORS list. */
export function memberHost(db: SingleStore, pod: string): string {
  return `${pod}.${governingServiceName(db)}.${db.metadata.namespace ?? 'default'}.svc`;
}
