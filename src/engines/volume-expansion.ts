// VolumeExpansion judgement (pure): is the new size a quantity, larger than now, and can every
// claim of the database grow (its StorageClass exists and has allowVolumeExpansion)? Each refusal
// names the field and changes nothing; a size every claim already has is Skipped.
import { compareQuantities, quantityBytes } from '../api/quantity.ts';

export interface ClaimFacts {
  pod: string;
  /** data-<pod>; undefined: the claim does not exist. */
  claim?: string;
  className?: string;
  /** status.capacity.storage */
  capacity?: string;
}

export interface ExpansionFacts {
  /** The field the size comes from, e.g. spec.volumeExpansion.postgres. */
  field: string;
  target: string;
  database: string;
  storageType: 'Durable' | 'Ephemeral';
  /** The database's spec.storage request (the StatefulSet's template), default 1Gi. */
  current: string;
  claims: ClaimFacts[];
  /** allowVolumeExpansion by class name (absent: the class does not exist). */
  classes: Record<string, boolean>;
}

export type ExpansionJudgement = { outcome: 'Proceed'; current: string } | { outcome: 'Failed' | 'Skipped'; reason: string };

export function judgeVolumeExpansion(f: ExpansionFacts): ExpansionJudgement {
  const fail = (why: string): ExpansionJudgement => ({ outcome: 'Failed', reason: `${f.field}: ${why}; nothing was changed` });
  if (quantityBytes(f.target) === undefined) return fail(`"${f.target}" is not a storage quantity such as 2Gi`);
  if (f.storageType === 'Ephemeral') return fail(`${f.database} has spec.storageType Ephemeral: it has no volume to expand`);
  if (compareQuantities(f.target, f.current) < 0) return fail(`${f.target} is smaller than the current size ${f.current}: a volume cannot be shrunk`);
  for (const c of f.claims) {
    if (!c.claim) return fail(`Pod ${c.pod} has no PersistentVolumeClaim data-${c.pod}`);
    if (c.capacity && compareQuantities(f.target, c.capacity) < 0) return fail(`${f.target} is smaller than ${c.claim}'s capacity ${c.capacity}: a volume cannot be shrunk`);
  }
  const grow = f.claims.filter((c) => !c.capacity || compareQuantities(c.capacity, f.target) < 0);
  if (grow.length === 0 && compareQuantities(f.target, f.current) === 0) return { outcome: 'Skipped', reason: `every volume of ${f.database} has ${f.target} already` };
  for (const c of f.claims) {
    const name = c.className ?? '';
    if (!(name in f.classes)) return fail(`StorageClass "${name}" of ${c.claim} does not exist (kubectl get storageclass)`);
    if (!f.classes[name]) return fail(`StorageClass "${name}" (of ${c.claim}) does not allow volume expansion (allowVolumeExpansion is not true)`);
  }
  return { outcome: 'Proceed', current: f.current };
}
