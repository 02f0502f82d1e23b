// The database conditions of a roles sync (pure): RolesSynced (True, or False with why) and RolesKept
// (what opsflow managed, left in the cluster although removed from the manifest). No message ever
// holds a password or a verifier: outcomes carry role names and statements without values.
import type { ConditionInput } from '../../api/conditions.ts';

export const ROLES_SYNCED = 'RolesSynced';
export const ROLES_KEPT = 'RolesKept';

export type RolesOutcome =
  | { kind: 'Invalid'; problems: string[] }
  | { kind: 'PrimaryNotReady'; why: string }
  | { kind: 'SyncFailed'; error: string }
  | { kind: 'Synced'; roles: number; databases: number; changes: number; keptRoles: string[]; keptDatabases: string[]; secretProblems: string[] };

export function rolesConditions(o: RolesOutcome, generation?: number): ConditionInput[] {
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  const synced = (status: 'True' | 'False', reason: string, message: string): ConditionInput => ({ type: ROLES_SYNCED, status, reason, message, ...g });
  switch (o.kind) {
    case 'Invalid':
      return [synced('False', 'InvalidSpec', `nothing changed in Postgres: ${o.problems.join('; ')}`)];
    case 'PrimaryNotReady':
      return [synced('False', 'PrimaryNotReady', `waiting for the primary: ${o.why}`)];
    case 'SyncFailed':
      return [synced('False', 'SyncFailed', o.error)];
    case 'Synced': {
      const what = `${o.roles} role(s) and ${o.databases} database(s) as in the manifest (${o.changes} change(s) in this pass)`;
      const kept = [
        ...(o.keptRoles.length ? [`roles ${o.keptRoles.join(', ')} (removed from spec.users)`] : []),
        ...(o.keptDatabases.length ? [`databases ${o.keptDatabases.join(', ')} (removed from spec.databases)`] : []),
      ];
      return [
        o.secretProblems.length
          ? synced('False', 'SecretInvalid', `${what}; not applied: ${o.secretProblems.join('; ')}`)
          : synced('True', 'Synced', what),
        kept.length
          ? { type: ROLES_KEPT, status: 'True', reason: 'RemovedFromManifest', message: `kept, not dropped: ${kept.join('; ')}; opsflow never drops roles or databases: drop them by hand if they must go`, ...g }
          : { type: ROLES_KEPT, status: 'False', reason: 'NothingKept', message: 'every role and database opsflow manages is in the manifest', ...g },
      ];
    }
  }
}
