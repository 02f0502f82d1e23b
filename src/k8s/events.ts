// Kubernetes Events (events.k8s.io/v1) about any object; a failure to record one is logged, never thrown.
import { hostname } from 'node:os';
import { apiErrorMessage, type Kube } from './client.ts';
import { microTime } from './lease.ts';
import type { Logger } from '../logger.ts';

export interface Regarding {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export async function recordEvent(kube: Kube, log: Logger, regarding: Regarding, type: 'Normal' | 'Warning', reason: string, note: string, controller = 'opsflow.dev/provisioner'): Promise<void> {
  await kube.events.createNamespacedEvent({
    namespace: regarding.namespace,
    body: {
      metadata: { generateName: `${regarding.name}-`, namespace: regarding.namespace },
      eventTime: microTime(Date.now()) as unknown as Date,
      reportingController: controller,
      reportingInstance: hostname(),
      action: reason,
      reason,
      note: note.slice(0, 1000),
      type,
      regarding,
    },
  }).catch((e: unknown) => log.warn('could not record an Event', { regarding: `${regarding.kind} ${regarding.namespace}/${regarding.name}`, error: apiErrorMessage(e) }));
}
