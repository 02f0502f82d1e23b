// The evidence a failed major upgrade's rollback is decided from: the primary Pod's image and
// readiness, the marker bootstrap.sh leaves in the postgres container's termination message, and
// the major the server itself reports. Reads only.
import type { V1ContainerStatus } from '@kubernetes/client-node';
import { apiErrorMessage, isNotFound } from '../k8s/client.ts';
import { parseUpgradeMarker, type UpgradeEvidence } from '../engines/postgres/upgrade-state.ts';
import type { ActivityDeps } from './deps.ts';
import { postgresCredentials, withPostgres } from './postgres-sync.ts';

const CONTAINER = 'postgres';

/** Pure: the marker of the latest termination of the container (its current state first). */
export function markerOf(s: V1ContainerStatus | undefined): UpgradeEvidence['marker'] {
  return parseUpgradeMarker(s?.state?.terminated?.message) ?? parseUpgradeMarker(s?.lastState?.terminated?.message);
}

export function postgresUpgradeActivities(deps: ActivityDeps) {
  const { kube } = deps;
  return {
    /** What the primary Pod shows of a major upgrade (see decideRollback). */
    async postgresUpgradeEvidence(namespace: string, database: string, pod: string): Promise<UpgradeEvidence> {
      let p;
      try {
        p = await kube.core.readNamespacedPod({ name: pod, namespace });
      } catch (e) {
        if (isNotFound(e)) return { pod, ready: false, started: false };
        throw e;
      }
      const status = p.status?.containerStatuses?.find((c) => c.name === CONTAINER);
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && !p.metadata?.deletionTimestamp;
      const evidence: UpgradeEvidence = {
        pod,
        image: p.spec?.containers.find((c) => c.name === CONTAINER)?.image,
        ready,
        started: Boolean(status && (status.state?.running || status.state?.terminated || status.lastState?.terminated || (status.restartCount ?? 0) > 0)),
        marker: markerOf(status),
      };
      if (!ready || !p.status?.podIP) return { ...evidence, serverProblem: 'the Pod is not Ready' };
      try {
        const cred = await postgresCredentials(deps, namespace, database);
        const num = await withPostgres(p.status.podIP, cred, async (c) => Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v));
        return Number.isFinite(num) && num > 0 ? { ...evidence, serverMajor: Math.floor(num / 10000) } : { ...evidence, serverProblem: 'the server reported no version' };
      } catch (e) {
        return { ...evidence, serverProblem: `the server did not answer (${apiErrorMessage(e)})` };
      }
    },
  };
}
