// Why a database's volume claims do not bind (pure): each Pending claim named with its StorageClass
// and the likely cause, as the StorageBound condition on the database (the Pods of a claim that
// never binds stay Pending, and the database otherwise only says "0/3 ready").
import type { ConditionInput } from '../api/conditions.ts';

export interface ClaimFacts {
  name: string;
  phase: string | undefined;
  /** spec.storageClassName ('' or undefined: none, and no default class was assigned). */
  className: string | undefined;
  /** The class object, when it exists. */
  storageClass?: { provisioner?: string };
}

export function claimProblem(c: ClaimFacts): string | undefined {
  if (c.phase === 'Bound') return undefined;
  if (!c.className) return `PersistentVolumeClaim ${c.name} is ${c.phase ?? 'Pending'}: it names no StorageClass and the cluster has no default one (set spec.storage.storageClassName)`;
  if (!c.storageClass) return `PersistentVolumeClaim ${c.name} is ${c.phase ?? 'Pending'}: StorageClass "${c.className}" does not exist (kubectl get storageclass)`;
  return `PersistentVolumeClaim ${c.name} is ${c.phase ?? 'Pending'}: StorageClass "${c.className}" (provisioner ${c.storageClass.provisioner ?? 'unknown'}) has not provisioned a volume; check that its provisioner runs`;
}

/** The StorageBound condition for the claims of the database's Pods (undefined: no claim yet). */
export function storageCondition(claims: ClaimFacts[], generation: number | undefined): ConditionInput | undefined {
  if (claims.length === 0) return undefined;
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  const problems = claims.map(claimProblem).filter((p): p is string => p !== undefined);
  if (problems.length === 0) return { type: 'StorageBound', status: 'True', reason: 'ClaimsBound', message: `${claims.length} PersistentVolumeClaim(s) bound`, ...g };
  return { type: 'StorageBound', status: 'False', reason: 'ClaimNotBound', message: problems.join('; '), ...g };
}
