// Helpers for the roles tests: log in with a role's Secret, read pg_roles / pg_database back.
import pg from 'pg';
import { clients } from './kube.ts';
import { pgQuery } from './sql.ts';

export type RoleRow = { rolname: string; rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; rolcanlogin: boolean; rolreplication: boolean; rolbypassrls: boolean };

export async function secretData(namespace: string, name: string) {
  const s = await clients().core.readNamespacedSecret({ name, namespace });
  const dec = (k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString();
  return { username: dec('username'), password: dec('password'), secret: s };
}

/** Logs in on a member with a role's Secret; returns current_user and current_database(). */
export async function loginWithSecret(namespace: string, pod: string, secret: string, database: string): Promise<{ u: string; d: string }> {
  const { username, password } = await secretData(namespace, secret);
  const host = (await clients().core.readNamespacedPod({ name: pod, namespace })).status?.podIP ?? '';
  const c = new pg.Client({ host, port: 5432, user: username, password, database, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query<{ u: string; d: string }>('SELECT current_user AS u, current_database() AS d')).rows[0] ?? { u: '', d: '' };
  } finally {
    await c.end();
  }
}

/** pg_roles rows by name (as the superuser of the database's auth Secret). */
export const readRoles = async (namespace: string, db: string, pod: string, names: string[]) => Object.fromEntries((await pgQuery<RoleRow>(namespace, db, pod,
  'SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname', [names])).map((r) => [r.rolname, r]));

/** Owner by database name (templates and postgres left out). */
export const readOwners = async (namespace: string, db: string, pod: string) => Object.fromEntries((await pgQuery<{ datname: string; owner: string }>(namespace, db, pod,
  'SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE NOT datistemplate AND datname <> $1', ['postgres'])).map((r) => [r.datname, r.owner]));
