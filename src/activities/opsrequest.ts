// The OpsRequest's status mirrors the workflow's progress: phase, one condition per step, the
// workflow link, and a Kubernetes Event for every step transition.
import { hostname } from 'node:os';
import type { Condition } from '../api/common.ts';
import { setCondition } from '../api/conditions.ts';
import type { OpsRequestStatus } from '../api/opsrequests.ts';
import { apiErrorMessage, isNotFound, isPermanentApiError } from '../k8s/client.ts';
import { impossible } from './heartbeat.ts';
import { updateStatus } from '../k8s/resources.ts';
import { API_VERSION } from '../api/common.ts';
import type { Progress, Step } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';

export interface OpsObjectRef {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

const conditionStatus: Record<Step['state'], Condition['status'] | undefined> = {
  Pending: undefined, Running: 'Unknown', Succeeded: 'True', Failed: 'False', Skipped: 'True',
};

/** Pure: the OpsRequest status for a progress snapshot. */
export function statusFromProgress(prev: OpsRequestStatus | undefined, p: Progress, generation: number | undefined, now: string): OpsRequestStatus {
  let conditions = prev?.conditions ?? [];
  for (const s of p.steps) {
    const status = conditionStatus[s.state];
    if (!status) continue;
    conditions = setCondition(conditions, { type: s.name, status, reason: s.state, message: s.message ?? '', ...(generation !== undefined ? { observedGeneration: generation } : {}) }, s.finishedAt ?? s.startedAt ?? now);
  }
  return { ...prev, phase: p.phase, message: p.message, conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

export function opsRequestActivities({ kube, log }: ActivityDeps) {
  async function event(ref: OpsObjectRef, type: 'Normal' | 'Warning', reason: string, note: string): Promise<void> {
    await kube.events.createNamespacedEvent({
      namespace: ref.namespace,
      body: {
        metadata: { generateName: `${ref.name}-`, namespace: ref.namespace },
        // events.k8s.io wants a MicroTime (six fractional digits).
        eventTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date,
        reportingController: 'opsflow.dev/ops',
        reportingInstance: hostname(),
        action: reason,
        reason,
        note: note.slice(0, 1000),
        type,
        regarding: { apiVersion: API_VERSION, kind: ref.kind, name: ref.name, namespace: ref.namespace, uid: ref.uid },
      },
    }).catch((e: unknown) => log.warn('could not record an Event', { opsRequest: `${ref.namespace}/${ref.name}`, error: apiErrorMessage(e) }));
  }

  return {
    /** Writes the progress into the OpsRequest status and emits Events for steps that changed state. */
    async recordProgress(ref: OpsObjectRef, progress: Progress): Promise<void> {
      let before: OpsRequestStatus | undefined;
      try {
        await updateStatus<{ status?: OpsRequestStatus; metadata?: { generation?: number; uid?: string } }, OpsRequestStatus>(kube, ref, (cur) => {
          if (cur.metadata?.uid !== ref.uid) return undefined; // a new object with the same name: not ours
          before = cur.status;
          return statusFromProgress(cur.status, progress, cur.metadata?.generation, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
        });
      } catch (e) {
        if (isNotFound(e)) return; // the OpsRequest was deleted; its run is being cancelled
        // Retried (for the final phase without bound) unless the API server refuses it for good.
        if (isPermanentApiError(e)) throw impossible(`the API server refused the status of ${ref.kind} ${ref.name}: ${apiErrorMessage(e)}`);
        throw e;
      }
      for (const s of progress.steps) {
        const prev = before?.conditions?.find((c) => c.type === s.name);
        const now = conditionStatus[s.state];
        if (!now || prev?.status === now) continue;
        await event(ref, s.state === 'Failed' ? 'Warning' : 'Normal', s.name, `${s.state}${s.message ? `: ${s.message}` : ''}`);
      }
      if (before?.phase !== progress.phase) {
        await event(ref, progress.phase === 'Failed' ? 'Warning' : 'Normal', progress.phase, progress.message);
        log.info('opsrequest phase', { opsRequest: `${ref.namespace}/${ref.name}`, phase: progress.phase, message: progress.message });
      }
    },
  };
}
