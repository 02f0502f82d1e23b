// The shapes of --output json|yaml (stable field names for scripts).
import { stringify } from 'yaml';
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

let format: 'json' | 'yaml' = 'json';
/** Set once from -o/--output by the command's context. */
export function setOutputFormat(f: 'json' | 'yaml'): void {
  format = f;
}

/** One machine-readable document on stdout, in the -o format (json or yaml). */
export function printJson(value: unknown): void {
  process.stdout.write(format === 'yaml' ? stringify(value, { lineWidth: 0 }) : `${JSON.stringify(value, null, 2)}\n`);
}
