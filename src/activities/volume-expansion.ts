// VolumeExpansion activities: judge the request (reads only), grow a claim under its running Pod
// (Online) or with its Pod stopped (Offline), and give the StatefulSet the new claim size. A
// StatefulSet's volumeClaimTemplates cannot change, so, as KubeDB does, it is deleted with the
// orphan cascade (its Pods and claims stay) and created again from the manifest read before (in the
// workflow's history, so a retry after a crash between the delete and the create still has it).
import type { V1PersistentVolumeClaim, V1StatefulSet } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { StorageV1Api } from '@kubernetes/client-node';
import { PostgresSchema } from '../api/databases.ts';
import { compareQuantities } from '../api/quantity.ts';
import { rolloutOrder } from '../engines/postgres/plan.ts';
import { podNames, primaryPodName } from '../engines/postgres/render.ts';
import { judgeVolumeExpansion, type ClaimFacts } from '../engines/volume-expansion.ts';
import { mergePatch } from '../k8s/apply.ts';
import { isConflict, isNotFound } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { DbRef } from './database.ts';
import type { ActivityDeps } from './deps.ts';
import { failpoint } from './failpoints.ts';
import { impossible, pollUntil } from './heartbeat.ts';
import { primaryUpdateProblem } from './validate.ts';

/** A StatefulSet to create again (what workflows carry; they may not import client-node). */
export type StatefulSetManifest = V1StatefulSet;

export const VOLUME_FIELD_MANAGER = 'opsflow-volume-expansion';
const DATA_CLAIM = 'data';

export interface VolumeExpansionPlan {
  database: string;
  statefulSet: string;
  mode: 'Online' | 'Offline';
  size: string;
  current: string;
  primary: string;
  /** Standbys first, the primary last. */
  pods: string[];
  claims: Record<string, string>;
  /** Each Pod's UID when planned (Offline: the Pod that is stopped). */
  uids: Record<string, string>;
}

export type VolumeExpansionValidation = { outcome: 'Proceed'; plan: VolumeExpansionPlan } | { outcome: 'Failed' | 'Skipped'; reason: string };

/** Pure: the manifest to create again (what the API server fills in dropped), with the data claim at size. */
export function statefulSetWithClaimSize(sts: V1StatefulSet, size: string): V1StatefulSet {
  const m = sts.metadata ?? {};
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: m.name, namespace: m.namespace, labels: m.labels, annotations: m.annotations, ownerReferences: m.ownerReferences },
    spec: {
      ...(sts.spec as NonNullable<V1StatefulSet['spec']>),
      volumeClaimTemplates: (sts.spec?.volumeClaimTemplates ?? []).map((t) => (t.metadata?.name !== DATA_CLAIM ? { metadata: t.metadata, spec: t.spec } : {
        metadata: { name: DATA_CLAIM }, spec: { ...t.spec, resources: { ...t.spec?.resources, requests: { ...t.spec?.resources?.requests, storage: size } } },
      })),
    },
  };
}

export const claimSizeOf = (sts: V1StatefulSet | undefined): string | undefined =>
  sts?.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === DATA_CLAIM)?.spec?.resources?.requests?.storage;

const atLeast = (have: string | undefined, want: string) => have !== undefined && compareQuantities(have, want) >= 0;

export function volumeExpansionActivities({ kube, pollMs = 200 }: ActivityDeps) {
  const storage = kube.kc.makeApiClient(StorageV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const readOrNone = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const readClaim = (namespace: string, name: string) => readOrNone(() => kube.core.readNamespacedPersistentVolumeClaim({ name, namespace }));
  const readSts = (namespace: string, name: string) => readOrNone(() => kube.apps.readNamespacedStatefulSet({ name, namespace }));

  /** Deletes the StatefulSet with the orphan cascade (its Pods and claims stay) and waits until it is gone. */
  async function orphanStatefulSet(namespace: string, name: string): Promise<void> {
    const live = await readSts(namespace, name);
    if (live && !live.metadata?.deletionTimestamp) {
      await kube.apps.deleteNamespacedStatefulSet({ name, namespace, body: { propagationPolicy: 'Orphan', preconditions: { uid: live.metadata?.uid } } })
        .catch((e: unknown) => { if (!isNotFound(e) && !isConflict(e)) throw e; });
    }
    await pollUntil(async () => ((await readSts(namespace, name)) ? undefined : true), pollMs, () => ({ orphaning: name }));
  }

  /** Creates the StatefulSet from the manifest at the size (a 409: created by an earlier attempt). */
  async function createStatefulSet(manifest: V1StatefulSet, size: string): Promise<void> {
    const namespace = manifest.metadata?.namespace ?? '';
    await kube.apps.createNamespacedStatefulSet({ namespace, body: statefulSetWithClaimSize(manifest, size), fieldManager: VOLUME_FIELD_MANAGER })
      .catch((e: unknown) => { if (!isConflict(e)) throw e; });
  }

  /** Patches the claim's request up to size (never down). */
  async function requestSize(namespace: string, claim: string, size: string): Promise<V1PersistentVolumeClaim> {
    const pvc = await readClaim(namespace, claim);
    if (!pvc) throw impossible(`PersistentVolumeClaim ${claim} does not exist`);
    if (atLeast(pvc.spec?.resources?.requests?.storage, size)) return pvc;
    return kube.core.patchNamespacedPersistentVolumeClaim({ name: claim, namespace, body: { spec: { resources: { requests: { storage: size } } } } }, merge);
  }

  async function pvCapacity(namespace: string, claim: string): Promise<string | undefined> {
    const pv = (await readClaim(namespace, claim))?.spec?.volumeName;
    return pv ? (await readOrNone(() => kube.core.readPersistentVolume({ name: pv })))?.spec?.capacity?.storage : undefined;
  }

  /** The StatefulSet gets the new claim size (orphan delete, create again); 'kept' when it has it. */
  async function recreateStatefulSet(manifest: V1StatefulSet, size: string): Promise<'kept' | 'recreated'> {
    const namespace = manifest.metadata?.namespace ?? '';
    const name = manifest.metadata?.name ?? '';
    const live = await readSts(namespace, name);
    if (live && !live.metadata?.deletionTimestamp && atLeast(claimSizeOf(live), size)) return 'kept';
    await orphanStatefulSet(namespace, name);
    failpoint(`recreateStatefulSet-orphaned:${name}`);
    await createStatefulSet(manifest, size);
    return 'recreated';
  }

  /** Records the size in the database's spec.storage, so the provisioner renders it from now on. */
  async function recordStorageSize(db: DbRef, size: string): Promise<void> {
    await mergePatch(kube, { apiVersion: 'opsflow.dev/v1alpha1', kind: db.kind, metadata: { name: db.name, namespace: db.namespace }, spec: { storage: { resources: { requests: { storage: size } } } } } as never);
  }

  return {
    /** Checks a Postgres VolumeExpansion request and plans it; changes nothing. */
    async validatePostgresVolumeExpansion(input: OpsInput): Promise<VolumeExpansionValidation> {
      const ns = input.namespace;
      const name = input.spec.databaseRef?.name ?? '';
      const spec = input.spec.volumeExpansion;
      if (!spec) return { outcome: 'Failed', reason: 'spec.volumeExpansion is required when spec.type is VolumeExpansion; nothing was changed' };
      let raw: unknown;
      try {
        raw = await getCustom(kube, { kind: 'Postgres', namespace: ns, name });
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'Failed', reason: `spec.databaseRef: Postgres "${name}" not found in namespace ${ns}` };
        throw e;
      }
      const db = PostgresSchema.parse(raw);
      const refused = spec.mode === 'Offline' ? primaryUpdateProblem(db, input) : undefined;
      if (refused) return { outcome: 'Failed', reason: refused };
      const primary = primaryPodName(db);
      const pods = rolloutOrder(podNames(db), primary, false);
      const claims: ClaimFacts[] = [];
      const classes: Record<string, boolean> = {};
      for (const pod of pods) {
        const pvc = await readClaim(ns, `data-${pod}`);
        const className = pvc?.spec?.storageClassName ?? undefined;
        claims.push({ pod, claim: pvc?.metadata?.name, className, capacity: pvc?.status?.capacity?.storage });
        if (className && !(className in classes)) {
          const sc = await readOrNone(() => storage.readStorageClass({ name: className }));
          if (sc) classes[className] = sc.allowVolumeExpansion === true;
        }
      }
      const verdict = judgeVolumeExpansion({
        field: 'spec.volumeExpansion.postgres', target: spec.postgres, database: `Postgres ${name}`, storageType: db.spec.storageType,
        current: db.spec.storage?.resources?.requests.storage ?? '1Gi', claims, classes,
      });
      if (verdict.outcome !== 'Proceed') return verdict;
      const uids: Record<string, string> = {};
      for (const pod of pods) uids[pod] = (await readOrNone(() => kube.core.readNamespacedPod({ name: pod, namespace: ns })))?.metadata?.uid ?? '';
      return {
        outcome: 'Proceed',
        plan: {
          database: name, statefulSet: name, mode: spec.mode, size: spec.postgres, current: verdict.current, primary, pods, uids,
          claims: Object.fromEntries(pods.map((p) => [p, `data-${p}`])),
        },
      };
    },

    /** The StatefulSet as it is, to create it again later (reads only). */
    async readStatefulSetManifest(namespace: string, name: string): Promise<V1StatefulSet> {
      const sts = await readSts(namespace, name);
      if (!sts) throw impossible(`StatefulSet ${name} does not exist`);
      return statefulSetWithClaimSize(sts, claimSizeOf(sts) ?? '1Gi');
    },

    /** Online: the claim's request is raised and its status.capacity awaited, the Pod running on. */
    async growClaimOnline(namespace: string, claim: string, size: string): Promise<{ seconds: number; already: boolean }> {
      const started = Date.now();
      const already = atLeast((await readClaim(namespace, claim))?.status?.capacity?.storage, size);
      await requestSize(namespace, claim, size);
      failpoint(`growClaim-requested:${claim}`);
      await pollUntil(async () => (atLeast((await readClaim(namespace, claim))?.status?.capacity?.storage, size) ? true : undefined), pollMs, () => ({ claim }));
      return { seconds: (Date.now() - started) / 1000, already };
    },

    /**
     * Offline, one Pod: the StatefulSet is orphaned and the Pod stopped, the claim's request raised
     * and the controller-side expansion (the PV's capacity) awaited, then the StatefulSet is created
     * again at the new size, which starts the Pod; its volume's file system grows as it is mounted.
     * Idempotent: once the PV has the size the Pod is not stopped again.
     */
    async growClaimOffline(manifest: V1StatefulSet, pod: string, claim: string, size: string): Promise<{ stoppedUid?: string }> {
      const namespace = manifest.metadata?.namespace ?? '';
      let stoppedUid: string | undefined;
      if (!atLeast(await pvCapacity(namespace, claim), size)) {
        await orphanStatefulSet(namespace, manifest.metadata?.name ?? '');
        const live = await readOrNone(() => kube.core.readNamespacedPod({ name: pod, namespace }));
        if (live) {
          stoppedUid = live.metadata?.uid;
          await kube.core.deleteNamespacedPod({ name: pod, namespace, body: { preconditions: { uid: stoppedUid } } }).catch((e: unknown) => { if (!isNotFound(e) && !isConflict(e)) throw e; });
          await pollUntil(async () => ((await readOrNone(() => kube.core.readNamespacedPod({ name: pod, namespace }))) ? undefined : true), pollMs, () => ({ stopping: pod }));
        }
        failpoint(`growClaimOffline-stopped:${pod}`);
        await requestSize(namespace, claim, size);
        await pollUntil(async () => (atLeast(await pvCapacity(namespace, claim), size) ? true : undefined), pollMs, () => ({ claim }));
      }
      const sts = await readSts(namespace, manifest.metadata?.name ?? '');
      if (!sts || !atLeast(claimSizeOf(sts), size)) {
        if (sts) await orphanStatefulSet(namespace, manifest.metadata?.name ?? '');
        await createStatefulSet(manifest, size);
      }
      return { stoppedUid };
    },

    /** The claim's status.capacity has the size (after an Offline restart: the resize finished at mount). */
    async waitClaimCapacity(namespace: string, claim: string, size: string): Promise<string> {
      return pollUntil(async () => {
        const c = (await readClaim(namespace, claim))?.status?.capacity?.storage;
        return atLeast(c, size) ? c : undefined;
      }, pollMs, () => ({ claim }));
    },

    /**
     * After a failure: the StatefulSet and spec.storage agree again, never undoing a grown claim. A
     * claim asked to grow: the StatefulSet at the new size and spec.storage says it; none: the
     * StatefulSet as it was (created again if the failure left it orphaned).
     */
    async settleVolumeExpansion(manifest: V1StatefulSet, claims: string[], size: string, db: DbRef): Promise<string> {
      const namespace = manifest.metadata?.namespace ?? '';
      let grown = false;
      for (const c of claims) grown ||= atLeast((await readClaim(namespace, c))?.spec?.resources?.requests?.storage, size);
      if (!grown) {
        if (!(await readSts(namespace, manifest.metadata?.name ?? ''))) await createStatefulSet(manifest, claimSizeOf(manifest) ?? '1Gi');
        return 'no volume was asked to grow; the StatefulSet is as it was';
      }
      const r = await recreateStatefulSet(manifest, size);
      await recordStorageSize(db, size);
      return `some volumes were asked to grow to ${size} (never shrunk back): the StatefulSet (${r}) and spec.storage say ${size}; a new VolumeExpansion to ${size} finishes the rest`;
    },

    recreateStatefulSet,
    recordStorageSize,
  };
}
