// StatefulSet and Pod activities: change the Pod template, and roll one Pod (idempotent).
import { ApplicationFailure } from '@temporalio/activity';
import type { V1Container, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { mergePatch, serverSideApply } from '../k8s/apply.ts';
import { recordApplied } from '../k8s/applied-state.ts';
import type { DbRef } from './database.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { ROLE_LABEL } from '../engines/common.ts';
import { provisioningFor } from '../engines/provisioning.ts';
import type { Database } from '../api/databases.ts';
import { getCustom } from '../k8s/resources.ts';
import type { ActivityDeps } from './deps.ts';
import { failpoint } from './failpoints.ts';
import { heartbeat, pollUntil } from './heartbeat.ts';

/** Ops workflows own these template fields while they run (the provisioner owns the rest). */
export const OPS_FIELD_MANAGER = 'opsflow-ops';
export const REVISION_LABEL = 'controller-revision-hash';

export interface TemplateChange {
  namespace: string;
  statefulSet: string;
  container: string;
  image: string;
  /** Init containers the ops workflow adds (e.g. the old-binaries copy); [] removes its earlier ones. */
  initContainers: V1Container[];
  /**
   * Records status.applied.version = version on the database once the template is changed, so the
   * provisioner renders what the template (and the Pods rolled onto it) run from then on, whatever
   * becomes of the rest of the run.
   */
  applied?: { database: DbRef; version: string };
}

export interface RollResult {
  pod: string;
  replaced: boolean;
  oldUid?: string;
  newUid?: string;
  seconds: number;
}

export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A container that keeps failing: exit code and the message the container left (termination log). */
export function crashReason(pod: V1Pod): string | undefined {
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = s.state?.terminated ?? s.lastState?.terminated;
    if (t && t.exitCode !== 0 && (s.restartCount ?? 0) >= 2) {
      return `container ${s.name} exited with code ${t.exitCode}${t.message ? `: ${t.message.trim()}` : t.reason ? ` (${t.reason})` : ''}`;
    }
  }
  return undefined;
}

/** Merge-patches labels onto a Pod (a Pod gone meanwhile is left alone). */
export async function labelPod(kube: Kube, namespace: string, name: string, labels: Record<string, string>): Promise<void> {
  await mergePatch<V1Pod>(kube, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels } }).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
}

export function podActivities({ kube, pollMs = 200 }: ActivityDeps) {
  const readSts = (ns: string, name: string) => kube.apps.readNamespacedStatefulSet({ name, namespace: ns });
  /** Applies the new image (and init containers) to the Pod template; returns the update revision. */
  async function applyTemplate(c: TemplateChange): Promise<string> {
    const body: V1StatefulSet = {
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name: c.statefulSet, namespace: c.namespace },
      spec: {
        template: { spec: { containers: [{ name: c.container, image: c.image }], initContainers: c.initContainers } },
      } as V1StatefulSet['spec'],
    };
    await serverSideApply(kube, body, OPS_FIELD_MANAGER);
    return pollUntil(async () => {
      const s = await readSts(c.namespace, c.statefulSet);
      const image = s.spec?.template.spec?.containers.find((x) => x.name === c.container)?.image;
      if (image !== c.image) throw new Error(`StatefulSet ${c.statefulSet} still has image ${image}`);
      const observed = (s.status?.observedGeneration ?? 0) >= (s.metadata?.generation ?? 0);
      return observed && s.status?.updateRevision ? s.status.updateRevision : undefined;
    }, pollMs);
  }

  /**
   * The role a member of this StatefulSet has, from its database (the provisioner's own rule): for a
   * replacement that has no role label yet because the worker that deleted its predecessor died
   * before copying the label over. The provisioner, paused, would not label it until the end.
   */
  async function roleFromDatabase(namespace: string, statefulSet: string, podName: string): Promise<string | undefined> {
    const owner = (await readSts(namespace, statefulSet)).metadata?.ownerReferences?.find((o) => o.controller);
    if (!owner) return undefined;
    let p;
    try {
      p = provisioningFor(owner.kind);
    } catch {
      return undefined;
    }
    return p.podRole(await getCustom<Database>(kube, { kind: owner.kind, namespace, name: owner.name }), podName);
  }

  return {
    /** The current UID of each Pod (for a restart: the Pods to replace). */
    async podUids(namespace: string, pods: string[]): Promise<Record<string, string>> {
      const out: Record<string, string> = {};
      for (const name of pods) out[name] = (await kube.core.readNamespacedPod({ name, namespace })).metadata?.uid ?? '';
      return out;
    },

    /** Applies the new image (and init containers) to the Pod template (and records it, see TemplateChange.applied); returns the update revision. */
    async updateStatefulSet(c: TemplateChange): Promise<string> {
      const revision = await applyTemplate(c);
      const applied = c.applied;
      if (applied) await recordApplied(kube, applied.database, (cur) => (cur && cur.version !== applied.version ? { ...cur, version: applied.version } : undefined));
      return revision;
    },

    /**
     * Rolls one Pod. Update mode: onto the StatefulSet's update revision. Restart mode (restartUid
     * given): replaces the Pod that had that UID. Idempotent: a Pod already where it should be and
     * Ready is left alone; otherwise it is deleted with a UID precondition (so a replacement is never
     * deleted) and the replacement is awaited until Ready, heartbeating meanwhile.
     */
    async rollPod(namespace: string, statefulSet: string, podName: string, restartUid?: string): Promise<RollResult> {
      const started = Date.now();
      let revision: string | undefined;
      if (restartUid === undefined) {
        revision = (await readSts(namespace, statefulSet)).status?.updateRevision;
        if (!revision) throw new Error(`StatefulSet ${statefulSet} has no update revision yet`);
      }
      const done = (p: V1Pod) => (restartUid !== undefined ? p.metadata?.uid !== restartUid : p.metadata?.labels?.[REVISION_LABEL] === revision);
      const readPod = async () => {
        try {
          return await kube.core.readNamespacedPod({ name: podName, namespace });
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      };
      const pod = await readPod();
      let oldUid: string | undefined;
      if (pod && done(pod)) {
        if (isReady(pod)) {
          // A retry after its worker died: the replacement may be Ready without the role label.
          if (pod.metadata?.labels?.[ROLE_LABEL] === undefined) {
            const role = await roleFromDatabase(namespace, statefulSet, podName);
            if (role) await labelPod(kube, namespace, podName, { [ROLE_LABEL]: role });
          }
          return { pod: podName, replaced: false, newUid: pod.metadata?.uid, seconds: 0 };
        }
      } else if (pod && !pod.metadata?.deletionTimestamp) {
        oldUid = pod.metadata?.uid;
        try {
          await kube.core.deleteNamespacedPod({ name: podName, namespace, body: { preconditions: { uid: oldUid } } });
        } catch (e) {
          // 404: gone already; 409: the precondition failed, so it is a replacement: wait for it.
          if (!isNotFound(e) && !(e as { code?: number }).code?.toString().startsWith('409')) throw e;
        }
        failpoint(`rollPod-deleted:${podName}`);
      } else if (pod) {
        oldUid = pod.metadata?.uid;
      }
      heartbeat({ pod: podName, oldUid });
      // The role label (set by the provisioner, which is paused now) goes with the member to its
      // replacement at once, so a Service selecting it (Postgres' primary) keeps its endpoint.
      const role = pod?.metadata?.labels?.[ROLE_LABEL] ?? (await roleFromDatabase(namespace, statefulSet, podName));
      const ready = await pollUntil(async () => {
        const p = await readPod();
        if (!p || p.metadata?.deletionTimestamp || p.metadata?.uid === oldUid || !done(p)) return undefined;
        if (role && p.metadata?.labels?.[ROLE_LABEL] === undefined) await labelPod(kube, namespace, podName, { [ROLE_LABEL]: role });
        const crash = crashReason(p);
        if (crash) throw ApplicationFailure.nonRetryable(`Pod ${podName} does not start: ${crash}`, 'PodCrashLooping');
        return isReady(p) ? p : undefined;
      }, pollMs, () => ({ pod: podName, oldUid }));
      // A Pod already on the target but not Ready yet was only waited for, not replaced.
      return { pod: podName, replaced: ready.metadata?.uid !== pod?.metadata?.uid, oldUid, newUid: ready.metadata?.uid, seconds: (Date.now() - started) / 1000 };
    },
  };
}
