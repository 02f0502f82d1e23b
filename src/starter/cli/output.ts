// The JSON shapes of --output json (stable field names for scripts).
import type { Progress } from '../../workflows/shared.ts';
import { databaseOf, dbKindOfOps, type OpsObject } from './refs.ts';

export function opsJson(o: OpsObject, p?: Progress, source?: string) {
  return {
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    uid: o.metadata.uid,
    type: o.spec.type,
    database: { kind: dbKindOfOps(o.kind), name: databaseOf(o) },
    ...(o.spec.updateVersion ? { targetVersion: o.spec.updateVersion.targetVersion } : {}),
    approval: o.spec.approval ?? 'Automatic',
    phase: p?.phase ?? o.status?.phase ?? 'Pending',
    message: p?.message ?? o.status?.message ?? '',
    workflow: o.status?.workflow ?? null,
    created: o.metadata.creationTimestamp ?? null,
    ...(p ? { steps: p.steps, source } : {}),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
