// Postgres RotateAuth: judge the request (the referenced Secret's password, or a generated one) →
// wait for its turn → judged again → pause → the auth Secret gets the new password, the old one kept
// as password.prev → ALTER ROLE (a SCRAM verifier), until the new one logs in on every member →
// each member's replication passfile gets it → the standbys still stream → resume. No Pod restarts.
// Every password stays inside the activities: the history holds Secret names only.
import type { RotateAuthPlan } from '../activities/postgres-auth.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function postgresRotateAuth(input: OpsInput): Promise<OpsResult> {
  return runOperation<RotateAuthPlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresRotateAuth,
    progressing: (plan) => `rotating the password of ${plan.user} on ${plan.database}`,
    body: async (ops, plan) => {
      const { t, short, long, dbRef } = ops;
      await t.step('UpdateSecret', () => short.updatePostgresAuthSecret(input.namespace, dbRef.name, input.uid, plan.source));
      await t.step('UpdateRole', () => long.alterPostgresRole(input.namespace, dbRef.name));
      await t.step('UpdateReplicationCredentials', () => short.updatePostgresPassfiles(input.namespace, dbRef.name, plan.pods));
      await t.step('CheckReplication', () => long.checkPostgresSync(input.namespace, dbRef.name));
    },
    success: (plan) => `the password of ${plan.user} was rotated (${plan.source ? `from Secret ${plan.source}` : 'generated'}); the previous one is kept as password.prev in Secret ${plan.secret}; no Pod restarted`,
  });
}
