// Postgres RotateAuth: judge the request (reads only), write the new password into the auth Secret
// (the previous one kept as password.prev, which every opsflow connection tries after an
// authentication failure), ALTER ROLE with a SCRAM verifier, and rewrite each member's replication
// passfile so a reconnecting standby uses the new password. Passwords are read and written here
// only: never returned, logged or put into a message.
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { PostgresSchema, type Postgres } from '../api/databases.ts';
import { authSecretName, MANAGED_BY } from '../engines/common.ts';
import { passfilePath, passwordProblem, pgpassLine, quoteIdent, rotatedSecretData, ROTATED_BY_ANNOTATION, scramVerifier } from '../engines/postgres/auth.ts';
import { podNames, primaryPodName } from '../engines/postgres/render.ts';
import { quoteLiteral } from '../engines/postgres/sql-quote.ts';
import { mergePatch } from '../k8s/apply.ts';
import { isNotFound } from '../k8s/client.ts';
import { decodeSecretData, podIp } from '../k8s/reads.ts';
import { getCustom } from '../k8s/resources.ts';
import type { Judgement } from '../workflows/run-operation.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { failpoint } from './failpoints.ts';
import { pollUntil } from './heartbeat.ts';
import { postgresCredentials, withPostgres, type Credentials } from './postgres-sync.ts';

export interface RotateAuthPlan {
  database: string;
  /** The auth Secret (spec.authSecret or <name>-auth). */
  secret: string;
  user: string;
  /** spec.authentication.secretRef.name; absent: a generated password. */
  source?: string;
  primary: string;
  pods: string[];
}

const SOURCE_FIELD = 'spec.authentication.secretRef.name';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Which of the Secret's password and password.prev logs in now (the role's password). */
async function workingPassword(host: string, cred: Credentials): Promise<string> {
  const login = (password: string) => withPostgres(host, { user: cred.user, password }, async () => password);
  return login(cred.password).catch((e: unknown) => {
    if (!cred.previous || (e as { code?: string }).code !== '28P01') throw e;
    return login(cred.previous);
  });
}

export function postgresAuthActivities(deps: ActivityDeps) {
  const { kube, pollMs = 250 } = deps;
  const readSecret = async (namespace: string, name: string) => kube.core.readNamespacedSecret({ name, namespace });
  const readDb = async (namespace: string, name: string): Promise<Postgres> => PostgresSchema.parse(await getCustom(kube, { kind: 'Postgres', namespace, name }));

  /** The password in spec.authentication.secretRef, or the problem with it (naming the field). */
  async function sourcePassword(namespace: string, source: string, user: string): Promise<{ password: string } | { problem: string }> {
    let data: Record<string, string>;
    try {
      data = decodeSecretData((await readSecret(namespace, source)).data);
    } catch (e) {
      if (isNotFound(e)) return { problem: `${SOURCE_FIELD}: Secret "${source}" not found in namespace ${namespace}` };
      throw e;
    }
    const field = `${SOURCE_FIELD} (Secret "${source}")`;
    if (data.username && data.username !== user) return { problem: `${field}: username is "${data.username}" but the database's user is "${user}"; RotateAuth changes the password, not the user` };
    const problem = passwordProblem(data.password, field);
    return problem ? { problem } : { password: data.password ?? '' };
  }

  return {
    /** Checks a RotateAuth request (the auth Secret, the referenced Secret's password) and plans it; changes nothing. */
    async validatePostgresRotateAuth(input: OpsInput): Promise<Judgement<RotateAuthPlan>> {
      const name = input.spec.databaseRef?.name ?? '';
      let db: Postgres;
      try {
        db = await readDb(input.namespace, name);
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'Failed', reason: `spec.databaseRef: Postgres "${name}" not found in namespace ${input.namespace}` };
        throw e;
      }
      const secret = authSecretName(db);
      let auth;
      try {
        auth = await readSecret(input.namespace, secret);
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'Failed', reason: `the auth Secret "${secret}" of Postgres ${name} does not exist; nothing to rotate` };
        throw e;
      }
      if (auth.metadata?.labels?.['app.kubernetes.io/managed-by'] !== MANAGED_BY) {
        return { outcome: 'Failed', reason: `spec.authSecret of Postgres ${name}: Secret "${secret}" is the user's own (not labelled app.kubernetes.io/managed-by=opsflow); RotateAuth rotates only an auth Secret opsflow manages` };
      }
      const data = decodeSecretData(auth.data);
      const user = data.username || 'postgres';
      const source = input.spec.authentication?.secretRef?.name;
      if (source !== undefined) {
        if (source === secret) return { outcome: 'Failed', reason: `${SOURCE_FIELD}: "${source}" is the database's own auth Secret; reference a Secret holding the new password` };
        const got = await sourcePassword(input.namespace, source, user);
        if ('problem' in got) return { outcome: 'Failed', reason: got.problem };
        if (got.password === data.password) return { outcome: 'Failed', reason: `${SOURCE_FIELD}: Secret "${source}" holds the password the database already uses; nothing to rotate` };
      }
      const primary = primaryPodName(db);
      return { outcome: 'Proceed', plan: { database: name, secret, user, ...(source ? { source } : {}), primary, pods: podNames(db) } };
    },

    /**
     * The auth Secret gets the new password (generated here, or the referenced Secret's) and keeps the
     * one that logs in now as password.prev. Written once per request (the annotation names it), so a
     * retried step never generates a second password.
     */
    async updatePostgresAuthSecret(namespace: string, database: string, opsUid: string, source?: string): Promise<string> {
      const db = await readDb(namespace, database);
      const secret = await readSecret(namespace, authSecretName(db));
      const name = secret.metadata?.name ?? '';
      if (secret.metadata?.annotations?.[ROTATED_BY_ANNOTATION] === opsUid) return `Secret ${name} already holds this request's password (a retried step)`;
      const data = decodeSecretData(secret.data);
      const user = data.username || 'postgres';
      let password: string;
      if (source) {
        const got = await sourcePassword(namespace, source, user);
        if ('problem' in got) throw ApplicationFailure.nonRetryable(`${got.problem}; the auth Secret was not changed`, 'InvalidSecretRef');
        password = got.password;
      } else {
        password = randomBytes(24).toString('base64url');
      }
      // password.prev must be the one the role has now: after an earlier rotation that stopped before
      // ALTER ROLE, that is password.prev, not password.
      const cred = await postgresCredentials(deps, namespace, database);
      const working = await workingPassword(await podIp(kube, namespace, primaryPodName(db)), cred).catch((e: unknown) => {
        throw ApplicationFailure.retryable(`neither password nor password.prev of Secret ${name} logs in on ${primaryPodName(db)}: ${e instanceof Error ? e.message : String(e)}`, 'NoWorkingCredential');
      });
      const next = rotatedSecretData({ ...data, password: working }, user, password);
      await mergePatch(kube, {
        apiVersion: 'v1', kind: 'Secret',
        metadata: { name, namespace, resourceVersion: secret.metadata?.resourceVersion, annotations: { [ROTATED_BY_ANNOTATION]: opsUid } },
        data: Object.fromEntries(Object.entries(next).map(([k, v]) => [k, b64(v)])),
      } as never);
      return `Secret ${name}: new password (${source ? `from Secret ${source}` : 'generated'}); the previous one kept as password.prev`;
    },

    /** ALTER ROLE on the primary with the Secret's password (as a SCRAM verifier); waits until it logs in on every member. */
    async alterPostgresRole(namespace: string, database: string): Promise<string> {
      failpoint('rotateAuth-before-alter');
      const db = await readDb(namespace, database);
      const cred = await postgresCredentials(deps, namespace, database);
      const primary = primaryPodName(db);
      const verifier = scramVerifier(cred.password, randomBytes(16));
      await withPostgres(await podIp(kube, namespace, primary), cred, (c) => c.query(`ALTER ROLE ${quoteIdent(cred.user)} PASSWORD '${verifier}'`));
      failpoint('rotateAuth-after-alter');
      const fresh = { user: cred.user, password: cred.password };
      const pods = podNames(db);
      let waiting: string[] = pods;
      await pollUntil(async () => {
        const left: string[] = [];
        for (const pod of waiting) {
          const ok = await withPostgres(await podIp(kube, namespace, pod), fresh, async () => true).catch(() => false);
          if (!ok) left.push(pod);
        }
        waiting = left;
        return waiting.length === 0 ? true : undefined;
      }, pollMs, () => ({ waitingFor: waiting }));
      return `ALTER ROLE ${cred.user} on ${primary}; the new password logs in on ${pods.join(', ')}`;
    },

    /**
     * Each member's replication passfile (bootstrap.sh's, in the run directory) gets the new password,
     * written by the server itself (COPY … TO, a superuser's right; the value travels as a bind
     * parameter, never in a statement's text) and read back.
     */
    async updatePostgresPassfiles(namespace: string, database: string, pods: string[]): Promise<string> {
      const cred = await postgresCredentials(deps, namespace, database);
      const fresh = { user: cred.user, password: cred.password };
      const line = pgpassLine(cred.user, cred.password);
      for (const pod of pods) {
        await withPostgres(await podIp(kube, namespace, pod), fresh, async (c) => {
          const dirs = (await c.query<{ d: string }>("SELECT current_setting('unix_socket_directories') AS d")).rows[0]?.d ?? '';
          const path = quoteLiteral(passfilePath(dirs));
          await c.query("SELECT set_config('opsflow.passfile_line', $1, false)", [line.slice(0, -1)]);
          // CSV with a delimiter and quote that printable ASCII never holds: the line is written as is.
          await c.query(`COPY (SELECT current_setting('opsflow.passfile_line')) TO ${path} WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`);
          await c.query("SELECT set_config('opsflow.passfile_line', '', false)");
          const back = (await c.query<{ f: string }>(`SELECT pg_read_file(${path}) AS f`)).rows[0]?.f;
          if (back !== line) throw ApplicationFailure.retryable(`the passfile of ${pod} did not read back as written`, 'PassfileMismatch');
        });
      }
      return `replication passfile updated on ${pods.join(', ')}`;
    },
  };
}
