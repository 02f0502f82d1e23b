// Database-level activities: one operation at a time per database, readiness, the pause
// handshake with the provisioner, and recording the new version on the database CR.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition, DatabaseStatus } from '../api/common.ts';
import { getCondition } from '../api/conditions.ts';
import { terminalPhases, type OpsRequestStatus } from '../api/opsrequests.ts';
import { PAUSE_ANNOTATION } from '../engines/common.ts';
import { mergePatch } from '../k8s/apply.ts';
import { earlierRequests } from '../api/queue-order.ts';
import { isNotFound } from '../k8s/client.ts';
import { getCustom, updateStatus } from '../k8s/resources.ts';
import { listRequestsOf } from '../k8s/requests-of.ts';
import { recordApplied } from '../k8s/applied-state.ts';
import { API_VERSION } from '../api/common.ts';
import { compareVersions } from '../api/semver.ts';
import type { ActivityDeps } from './deps.ts';
import type { DatabaseKind } from '../api/registry.ts';
import { workflowIdFor } from '../temporal/ids.ts';
import { heartbeat, impossible, pollUntil } from './heartbeat.ts';

export interface DbRef {
  kind: DatabaseKind;
  namespace: string;
  name: string;
}

type Db = KubernetesObject & { spec: Record<string, unknown>; status?: DatabaseStatus };
type Ops = KubernetesObject & { spec: { databaseRef?: { name: string }; proxyRef?: { name: string } }; status?: OpsRequestStatus };

/** Pure: a is an older version than b (names that are not versions: only when they differ). */
function isOlder(a: string, b: string): boolean {
  try {
    return compareVersions(a, b) < 0;
  } catch {
    return a !== b;
  }
}

export function databaseActivities({ kube, pollMs = 200, runs }: ActivityDeps) {
  const readDb = (ref: DbRef) => getCustom<Db>(kube, ref);
  /** The name of the request ahead of self that holds the queue, if any. */
  const turnBlocker = async (opsKind: string, ref: DbRef, self: { name: string; uid: string }): Promise<string | undefined> => {
    const holds = async (o: Ops): Promise<boolean> => {
      if (!runs) return true;
      const id = workflowIdFor({ kind: opsKind, namespace: ref.namespace, name: o.metadata?.name ?? '', uid: o.metadata?.uid ?? '' });
      const state = await runs.state(id);
      // absent: not started yet (it will be), unless a run was recorded once and is gone (retention).
      return state === 'open' || (state === 'absent' && !o.status?.workflow?.id);
    };
    for (const o of earlierRequests(await listRequestsOf<Ops>(kube, opsKind, ref), self, ref.name)) {
      if (await holds(o)) return o.metadata?.name ?? '';
    }
    return undefined;
  };
  /** Says in the status what this request waits for (written only when it changed). */
  const sayWaiting = async (opsKind: string, ref: DbRef, self: { name: string; uid: string }, blocker: string): Promise<void> => {
    const message = `waiting for ${opsKind} ${blocker}, an earlier operation on ${ref.kind} ${ref.name}`;
    await updateStatus<Ops, OpsRequestStatus>(kube, { kind: opsKind, namespace: ref.namespace, name: self.name }, (cur) =>
      cur.metadata?.uid === self.uid && !terminalPhases.includes(cur.status?.phase ?? 'Pending') ? { ...cur.status, message } : undefined);
  };
  return {
    /**
     * One look at the queue (event-driven runs call it when nudged, and on a slow fallback timer):
     * the earliest earlier OpsRequest of the same database whose run is still open (or not yet
     * started), or none when it is this request's turn. A request whose run has closed never holds
     * the queue, whatever its phase says. Reads only (the run writes what it waits for).
     */
    async checkTurn(opsKind: string, ref: DbRef, self: { name: string; uid: string }): Promise<{ blocker?: string }> {
      const name = await turnBlocker(opsKind, ref, self);
      return name === undefined ? {} : { blocker: name };
    },

    /**
     * Runs started before the event-driven queue: polls checkTurn's question until it is this
     * request's turn, writing what it waits for into the status message (only the message, never
     * the phase: a late attempt must not turn a finished request back into a waiting one).
     */
    async waitForTurn(opsKind: string, ref: DbRef, self: { name: string; uid: string }): Promise<string[]> {
      const waited = new Set<string>();
      await pollUntil(async () => {
        const name = await turnBlocker(opsKind, ref, self);
        if (name === undefined) return true;
        waited.add(name);
        await sayWaiting(opsKind, ref, self, name);
        return undefined;
      }, pollMs, () => ({ waitingFor: [...waited] }));
      return [...waited];
    },

    /** Returns the phase of the database when it is Ready; with failIfNotReady, fails at once otherwise. */
    async checkDatabaseReady(ref: DbRef, failIfNotReady: boolean): Promise<string> {
      return pollUntil(async () => {
        const db = await readDb(ref);
        const phase = db.status?.phase ?? 'Provisioning';
        if (phase === 'Ready') return phase;
        if (failIfNotReady) throw impossible(`${ref.kind} ${ref.name} is not Ready (phase ${phase}); spec.apply is IfReady`);
        return undefined;
      }, pollMs);
    },

    /** Pause handshake: ask the provisioner to leave the database alone and wait for its acknowledgement. */
    async pauseDatabase(ref: DbRef, requester: string): Promise<void> {
      const db = await readDb(ref);
      const holder = db.metadata?.annotations?.[PAUSE_ANNOTATION];
      if (holder !== undefined && holder !== requester) throw new Error(`${ref.kind} ${ref.name} is paused by ${holder}`);
      if (holder === undefined) {
        await mergePatch(kube, { apiVersion: API_VERSION, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace, annotations: { [PAUSE_ANNOTATION]: requester } } });
      }
      await pollUntil(async () => {
        const c: Condition | undefined = getCondition((await readDb(ref)).status?.conditions, 'Paused');
        return c?.status === 'True' && c.message.includes(requester) ? true : undefined;
      }, pollMs, () => ({ waiting: 'provisioner acknowledgement' }));
    },

    /** Removes this requester's pause and waits until the provisioner manages the database again. */
    async resumeDatabase(ref: DbRef, requester: string): Promise<void> {
      let db: Db;
      try {
        db = await readDb(ref);
      } catch (e) {
        if (isNotFound(e)) return; // nothing left to resume
        throw e;
      }
      if (db.metadata?.annotations?.[PAUSE_ANNOTATION] === requester) {
        await mergePatch(kube, { apiVersion: API_VERSION, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace, annotations: { [PAUSE_ANNOTATION]: null as unknown as string } } });
      }
      await pollUntil(async () => {
        const cur = await readDb(ref);
        if (cur.metadata?.annotations?.[PAUSE_ANNOTATION] !== undefined) return true; // another operation holds it now
        return getCondition(cur.status?.conditions, 'Paused')?.status === 'True' ? undefined : true;
      }, pollMs);
      heartbeat();
    },

    /** Records the new version on the database CR (while paused, so the provisioner agrees afterwards). */
    async setDatabaseVersion(ref: DbRef, version: string): Promise<void> {
      const db = await readDb(ref);
      // spec.version is raised to the target when it is older, never lowered: it is left alone when
      // it already names this target or a later one (a declarative change whose OpsRequest is
      // queued). status.applied may already say the target (recorded when the template changed).
      const spec = typeof db.spec.version === 'string' ? db.spec.version : undefined;
      if (spec === undefined || isOlder(spec, version)) {
        await mergePatch(kube, { apiVersion: API_VERSION, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, spec: { version } } as KubernetesObject);
      }
      // The StatefulSets now run this version: the provisioner renders it from here on.
      await recordApplied(kube, ref, (cur) => (cur && cur.version !== version ? { ...cur, version } : undefined));
    },
  };
}
