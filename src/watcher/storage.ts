// Reads what the StorageBound condition needs (src/engines/storage.ts): the claims of the database's
// StatefulSets (data-<sts>-<ordinal>) and, for a claim that is not bound, its StorageClass.
import { StorageV1Api, type V1StorageClass } from '@kubernetes/client-node';
import type { ConditionInput } from '../api/conditions.ts';
import type { Database } from '../api/databases.ts';
import { storageCondition, type ClaimFacts } from '../engines/storage.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';

const storageApis = new WeakMap<Kube, StorageV1Api>();

export async function storageFacts(kube: Kube, statefulSets: string[], db: Database): Promise<ConditionInput | undefined> {
  if (db.spec.storageType === 'Ephemeral') return undefined;
  const namespace = db.metadata.namespace ?? '';
  const prefixes = statefulSets.map((s) => `data-${s}-`);
  const pvcs = (await kube.core.listNamespacedPersistentVolumeClaim({ namespace })).items
    .filter((c) => prefixes.some((p) => (c.metadata?.name ?? '').startsWith(p) && /^\d+$/.test((c.metadata?.name ?? '').slice(p.length))));
  let storage = storageApis.get(kube);
  if (!storage) storageApis.set(kube, storage = kube.kc.makeApiClient(StorageV1Api));
  const claims: ClaimFacts[] = [];
  for (const c of pvcs) {
    const facts: ClaimFacts = { name: c.metadata?.name ?? '', phase: c.status?.phase, className: c.spec?.storageClassName };
    if (facts.phase !== 'Bound' && facts.className) {
      try {
        const sc: V1StorageClass = await storage.readStorageClass({ name: facts.className });
        facts.storageClass = { provisioner: sc.provisioner };
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    claims.push(facts);
  }
  return storageCondition(claims.sort((a, b) => a.name.localeCompare(b.name)), db.metadata.generation);
}
