// Which members of a Postgres already run the StatefulSet's update revision (reads only). An
// UpdateVersion leaves those alone, and when the primary is one of them it needs no switchover: an
// earlier run that stopped part-way (or a Pod replaced meanwhile) may have updated it already.
import { PostgresSchema } from '../api/databases.ts';
import { podNames, primaryPodName } from '../engines/postgres/render.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { ActivityDeps } from './deps.ts';
import { isReady, REVISION_LABEL } from './pods.ts';

export interface RolloutState {
  /** The primary now (status.primary): a retried run's plan may name an earlier one. */
  primary: string;
  revision: string;
  /** Members Ready on the update revision, in member order. */
  updated: string[];
}

/**
 * The members Ready on the StatefulSet's update revision when its template runs `image` (the target);
 * none when it does not (the revision the Pods run is then not the update's).
 */
export async function membersOnRevision(kube: Kube, namespace: string, statefulSet: string, members: string[], image: string, container = 'postgres'): Promise<{ revision: string; updated: string[] }> {
  let sts;
  try {
    sts = await kube.apps.readNamespacedStatefulSet({ name: statefulSet, namespace });
  } catch (e) {
    if (isNotFound(e)) return { revision: '', updated: [] };
    throw e;
  }
  const revision = sts.status?.updateRevision ?? '';
  const templateImage = sts.spec?.template.spec?.containers.find((c) => c.name === container)?.image;
  if (!revision || templateImage !== image) return { revision, updated: [] };
  const updated: string[] = [];
  for (const name of members) {
    try {
      const p = await kube.core.readNamespacedPod({ name, namespace });
      if (!p.metadata?.deletionTimestamp && p.metadata?.labels?.[REVISION_LABEL] === revision && isReady(p)) updated.push(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return { revision, updated };
}

export function postgresRolloutActivities({ kube }: ActivityDeps) {
  return {
    /** The primary now and the members already Ready on the update revision of `image`. */
    async postgresRolloutState(namespace: string, database: string, statefulSet: string, image: string): Promise<RolloutState> {
      const db = PostgresSchema.parse(await getCustom(kube, { kind: 'Postgres', namespace, name: database }));
      const { revision, updated } = await membersOnRevision(kube, namespace, statefulSet, podNames(db), image);
      return { primary: primaryPodName(db), revision, updated };
    },
  };
}
