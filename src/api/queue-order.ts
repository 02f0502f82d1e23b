// The per-database queue of OpsRequests (pure): served in creation order, then by name. Used by the
// queue check of a run (who is ahead of it) and by the watcher (who is next once one ends).
import type { KubernetesObject } from '@kubernetes/client-node';
import { terminalPhases, type OpsRequestStatus } from './opsrequests.ts';

export type QueuedRequest = KubernetesObject & { spec: { databaseRef?: { name: string }; proxyRef?: { name: string } }; status?: OpsRequestStatus };

const databaseOf = (o: QueuedRequest) => o.spec.databaseRef?.name ?? o.spec.proxyRef?.name;
const created = (o: QueuedRequest) => new Date(o.metadata?.creationTimestamp ?? 0).getTime();
const unfinished = (o: QueuedRequest) => !terminalPhases.includes(o.status?.phase ?? 'Pending');
/** Queue order: negative when a is served before b. */
const order = (a: QueuedRequest, b: QueuedRequest) => created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/** The earlier, unfinished OpsRequests of the same database, oldest first. */
export function earlierRequests<T extends QueuedRequest>(all: T[], self: { name: string; uid: string }, database: string): T[] {
  const me = all.find((o) => o.metadata?.uid === self.uid);
  if (!me) return [];
  return all
    .filter((o) => databaseOf(o) === database && o.metadata?.uid !== self.uid && unfinished(o) && order(o, me) < 0)
    .sort(order);
}

/** The first unfinished OpsRequest of the same database served after `ended` (the one to nudge), if any. */
export function nextInLine<T extends QueuedRequest>(all: T[], ended: QueuedRequest): T | undefined {
  const db = databaseOf(ended);
  return all
    .filter((o) => databaseOf(o) === db && o.metadata?.uid !== ended.metadata?.uid && o.metadata?.namespace === ended.metadata?.namespace && unfinished(o) && order(ended, o) < 0)
    .sort(order)[0];
}
