// The roles sync of one Postgres, run by the provisioner on every reconcile that is not paused (so
// again after every switchover and major upgrade, whose runs end by resuming the database): each
// LOGIN role's Secret (created once with a generated password), then real SQL on the current primary
// (status.primary): read pg_roles / pg_database, plan (src/engines/postgres/roles.ts), apply.
// Passwords stay in this process's memory: the server receives only a SCRAM verifier computed here,
// in a session that logs no statement, and nothing returned or logged holds one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Postgres } from '../api/databases.ts';
import { authSecretName } from '../engines/common.ts';
import { primaryPodName } from '../engines/postgres/render.ts';
import { desiredRoles, MANAGED_COMMENT, planRoles, rolesProblems, userSecret, userSecretName, type ActualRoles, type DesiredRoles } from '../engines/postgres/roles.ts';
import type { RolesOutcome } from '../engines/postgres/roles-status.ts';
import { passwordProblem, SCRAM_SALT_BYTES, scramVerifier, verifierMatches } from '../engines/postgres/scram.ts';
import { quoteIdent, quoteLiteral } from '../engines/postgres/sql-quote.ts';
import { postgresClientConfig } from '../activities/postgres-sync.ts';
import { isConflict, isNotFound, type Kube } from '../k8s/client.ts';
import { decodeSecretData, readCredentials } from '../k8s/reads.ts';

/**
 * Session settings first: no statement of this session reaches the server log whatever the user's
 * config says (log_statement = all, a duration threshold, an error), and literals mean what
 * quoteLiteral assumes. These are superuser settings; opsflow connects as the superuser.
 */
const QUIET_SESSION = [
  "SET log_statement = 'none'", 'SET log_min_duration_statement = -1', 'SET log_min_duration_sample = -1',
  "SET log_min_error_statement = 'panic'", 'SET log_parameter_max_length_on_error = 0', 'SET log_duration = off',
  'SET standard_conforming_strings = on', "SET application_name = 'opsflow-provisioner'",
];

const ROLES_SQL = `SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
  r.rolcanlogin AS login, r.rolreplication AS replication, r.rolbypassrls AS bypassrls,
  shobj_description(r.oid, 'pg_authid') AS comment, a.rolpassword AS verifier
FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid
WHERE r.rolname = ANY($1::text[]) OR shobj_description(r.oid, 'pg_authid') = $2`;
const DATABASES_SQL = `SELECT d.datname AS name, pg_get_userbyid(d.datdba) AS owner, shobj_description(d.oid, 'pg_database') AS comment
FROM pg_database d WHERE d.datname = ANY($1::text[]) OR shobj_description(d.oid, 'pg_database') = $2`;

type RoleRow = ActualRoles['roles'][number] & { verifier: string | null };

/** Each LOGIN role's password, from its Secret (created here, once, when missing). */
async function userPasswords(kube: Kube, db: Postgres, desired: DesiredRoles): Promise<{ passwords: Map<string, string>; problems: string[] }> {
  const namespace = db.metadata.namespace ?? '';
  const passwords = new Map<string, string>();
  const problems: string[] = [];
  for (const r of desired.roles.filter((x) => x.login)) {
    const name = userSecretName(db, r.name);
    let password: string | undefined;
    try {
      password = decodeSecretData((await kube.core.readNamespacedSecret({ name, namespace })).data).password;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      password = randomBytes(18).toString('base64url');
      await kube.core.createNamespacedSecret({ namespace, body: userSecret(db, r.name, password) }).catch(async (err: unknown) => {
        if (!isConflict(err)) throw err;
        // Created meanwhile by another reconcile: that one's password is the password.
        password = decodeSecretData((await kube.core.readNamespacedSecret({ name, namespace })).data).password;
      });
    }
    const problem = password === undefined ? 'has no key password' : passwordProblem(password);
    if (problem) problems.push(`Secret ${name} (spec.users["${r.name}"]): the password ${problem}`);
    else if (password !== undefined) passwords.set(r.name, password);
  }
  return { passwords, problems };
}

async function primaryAddress(kube: Kube, db: Postgres): Promise<{ host: string } | { why: string }> {
  const name = primaryPodName(db);
  // A list by name: the watcher's RBAC lists and watches Pods but has no get on them.
  const pod = (await kube.core.listNamespacedPod({ namespace: db.metadata.namespace ?? '', fieldSelector: `metadata.name=${name}` })).items[0];
  if (!pod) return { why: `Pod ${name} does not exist yet` };
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready || !pod.status?.podIP || pod.metadata?.deletionTimestamp) return { why: `Pod ${name} is not Ready` };
  return { host: pod.status.podIP };
}

/** One pass: validate, Secrets, read, plan, apply. Throws only Kubernetes errors (the reconcile retries). */
export async function syncPostgresRoles(kube: Kube, db: Postgres): Promise<RolesOutcome> {
  const namespace = db.metadata.namespace ?? '';
  const superuser = await readCredentials(kube, namespace, authSecretName(db), 'postgres');
  const problems = rolesProblems(db, superuser.user);
  if (problems.length) return { kind: 'Invalid', problems };
  const desired = desiredRoles(db);
  const at = await primaryAddress(kube, db);
  if ('why' in at) return { kind: 'PrimaryNotReady', why: at.why };
  const { passwords, problems: secretProblems } = await userPasswords(kube, db, desired);
  const client = new pg.Client({ ...postgresClientConfig(at.host, superuser), application_name: 'opsflow-provisioner' });
  try {
    await client.connect();
    for (const s of QUIET_SESSION) await client.query(s);
    const inRecovery = (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r;
    if (inRecovery !== false) return { kind: 'PrimaryNotReady', why: `${primaryPodName(db)} is not running as the primary` };
    const roleRows = (await client.query<RoleRow>(ROLES_SQL, [desired.roles.map((r) => r.name), MANAGED_COMMENT])).rows;
    const databases = (await client.query<ActualRoles['databases'][number]>(DATABASES_SQL, [desired.databases.map((d) => d.name), MANAGED_COMMENT])).rows;
    // The stored verifier is compared here and dropped: only "matches or not" goes into the plan.
    const roles = roleRows.map(({ verifier, ...r }) => {
      const pw = passwords.get(r.name);
      return { ...r, passwordMatches: pw === undefined ? true : verifierMatches(verifier, pw) };
    });
    const plan = planRoles(desired, { roles, databases });
    for (const step of plan.steps) {
      if ('sql' in step) {
        await client.query(step.sql);
        continue;
      }
      const pw = passwords.get(step.password);
      if (pw === undefined) continue; // its Secret is invalid: reported in secretProblems
      await client.query(`ALTER ROLE ${quoteIdent(step.password)} PASSWORD ${quoteLiteral(scramVerifier(pw, randomBytes(SCRAM_SALT_BYTES)))}`);
    }
    return { kind: 'Synced', roles: desired.roles.length, databases: desired.databases.length, changes: plan.steps.length, keptRoles: plan.keptRoles, keptDatabases: plan.keptDatabases, secretProblems };
  } catch (e) {
    // A server error names a role or database, never a value (the statements carry only verifiers
    // anyway); a connection error names the address.
    return { kind: 'SyncFailed', error: `SQL on ${primaryPodName(db)}: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}
