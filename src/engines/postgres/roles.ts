// Roles and databases from a Postgres manifest (pure): validation naming the field, the desired
// state, each LOGIN role's Secret name, and the plan (desired vs what pg_roles / pg_database say →
// SQL statements). Zalando's semantics: LOGIN unless NOLOGIN; flags removed from a role are revoked;
// roles and databases removed from the manifest are kept (never dropped) and reported. What opsflow
// manages is marked with a comment on the role / database, so "removed from the manifest" is known
// from the cluster itself (it survives a switchover, a major upgrade and a lost status).
import type { V1Secret } from '@kubernetes/client-node';
import type { Postgres } from '../../api/databases.ts';
import { meta } from '../common.ts';
import {
  BOOTSTRAP_SUPERUSER, DATABASE_NAME_PATTERN, DEFAULT_USER_SECRET_TEMPLATE, MAX_IDENTIFIER_LENGTH, RESERVED_DATABASES, RESERVED_ROLES,
  ROLE_FLAGS, ROLE_NAME_PATTERN,
} from '../../api/postgres-roles.ts';
import { quoteIdent, quoteLiteral } from './sql-quote.ts';

/** The comment opsflow puts on the roles and databases it manages. */
export const MANAGED_COMMENT = 'managed by opsflow (Postgres spec.users / spec.databases)';

export interface RoleAttributes {
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  login: boolean;
  replication: boolean;
  bypassrls: boolean;
}
export interface DesiredRole extends RoleAttributes { name: string }
export interface DesiredDatabase { name: string; owner: string }
export interface DesiredRoles { roles: DesiredRole[]; databases: DesiredDatabase[] }

/** What the primary reports about one role (passwordMatches: the Secret's password is the stored verifier). */
export interface ActualRole extends RoleAttributes { name: string; comment: string | null; passwordMatches?: boolean }
export interface ActualDatabase { name: string; owner: string; comment: string | null }
export interface ActualRoles { roles: ActualRole[]; databases: ActualDatabase[] }

/** A statement, or "set this role's password from its Secret" (the verifier is computed at execution). */
export type RoleStep = { sql: string } | { password: string };

export interface RolesPlan {
  steps: RoleStep[];
  /** Managed earlier, no longer in the manifest: kept as they are. */
  keptRoles: string[];
  keptDatabases: string[];
}

const ATTRIBUTES: Array<[keyof RoleAttributes, string]> = [
  ['superuser', 'SUPERUSER'], ['createdb', 'CREATEDB'], ['createrole', 'CREATEROLE'],
  ['login', 'LOGIN'], ['replication', 'REPLICATION'], ['bypassrls', 'BYPASSRLS'],
];

const flagsOf = (flags: readonly string[] | undefined) => new Set((flags ?? []).map((f) => f.toUpperCase()));

export function desiredRoles(pg: Pick<Postgres, 'spec'>): DesiredRoles {
  const roles = Object.entries(pg.spec.users ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, list]) => {
    const f = flagsOf(list);
    return {
      name, superuser: f.has('SUPERUSER'), createdb: f.has('CREATEDB'), createrole: f.has('CREATEROLE'),
      login: !f.has('NOLOGIN'), replication: f.has('REPLICATION'), bypassrls: f.has('BYPASSRLS'),
    };
  });
  const databases = Object.entries(pg.spec.databases ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, owner]) => ({ name, owner }));
  return { roles, databases };
}

/** Whether the provisioner manages roles for this database at all (an empty manifest still reports what it kept). */
export function rolesWanted(pg: Pick<Postgres, 'spec'>, hadCondition: boolean): boolean {
  return hadCondition || Object.keys(pg.spec.users ?? {}).length > 0 || Object.keys(pg.spec.databases ?? {}).length > 0;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The Secret of a LOGIN role: the template with {username} (_ → -, as Zalando does) and {cluster}. */
export function userSecretName(pg: Pick<Postgres, 'metadata' | 'spec'>, username: string): string {
  return (pg.spec.userSecretNameTemplate ?? DEFAULT_USER_SECRET_TEMPLATE)
    .replaceAll('{username}', username.replaceAll('_', '-'))
    .replaceAll('{cluster}', pg.metadata.name ?? '');
}

/**
 * Everything wrong with spec.users / spec.databases, each message naming the field (the CEL rules'
 * checks plus what they cannot see: the superuser of the auth Secret, the Secret names). Empty: fine.
 */
export function rolesProblems(pg: Pick<Postgres, 'metadata' | 'spec'>, superuser = BOOTSTRAP_SUPERUSER): string[] {
  const out: string[] = [];
  const users = pg.spec.users ?? {};
  const roleName = new RegExp(ROLE_NAME_PATTERN);
  const secrets = new Map<string, string>();
  for (const [name, flags] of Object.entries(users)) {
    const field = `spec.users["${name}"]`;
    if (name.length > MAX_IDENTIFIER_LENGTH || !roleName.test(name)) out.push(`${field}: invalid role name: 1-${MAX_IDENTIFIER_LENGTH} characters of a-z, 0-9, _ and -, starting and ending with a letter or digit`);
    else if (name.startsWith('pg_') || (RESERVED_ROLES as readonly string[]).includes(name) || name === superuser) out.push(`${field}: reserved role name: ${[...RESERVED_ROLES, ...(superuser === BOOTSTRAP_SUPERUSER ? [] : [superuser])].join(', ')} and names starting with pg_ belong to Postgres or opsflow`);
    const unknown = (flags ?? []).filter((f) => !(ROLE_FLAGS as readonly string[]).includes(f.toUpperCase()) || (f !== f.toUpperCase() && f !== f.toLowerCase()));
    if (unknown.length) out.push(`${field}: unknown flag(s) ${unknown.join(', ')}: one of ${ROLE_FLAGS.join(', ')}`);
    const f = flagsOf(flags);
    if (f.has('LOGIN') && f.has('NOLOGIN')) out.push(`${field}: LOGIN and NOLOGIN together: choose one`);
    if (f.has('NOLOGIN')) continue;
    const secret = userSecretName(pg, name);
    if (secret.length > 253 || !DNS_SUBDOMAIN.test(secret)) out.push(`${field}: its Secret name "${secret}" (spec.userSecretNameTemplate) is not a DNS subdomain`);
    const other = secrets.get(secret);
    if (other) out.push(`${field}: its Secret name "${secret}" is the one of spec.users["${other}"] too (_ becomes -): rename one`);
    secrets.set(secret, name);
  }
  const dbName = new RegExp(DATABASE_NAME_PATTERN);
  for (const [name, owner] of Object.entries(pg.spec.databases ?? {})) {
    const field = `spec.databases["${name}"]`;
    if (name.length > MAX_IDENTIFIER_LENGTH || !dbName.test(name)) out.push(`${field}: invalid database name: 1-${MAX_IDENTIFIER_LENGTH} characters of letters, digits, _ and -`);
    else if ((RESERVED_DATABASES as readonly string[]).includes(name)) out.push(`${field}: reserved database name: ${RESERVED_DATABASES.join(', ')} exist in every cluster`);
    if (owner !== superuser && !(owner in users)) out.push(`${field}: owner "${owner}" is not in spec.users (nor the superuser ${superuser})`);
  }
  return out;
}

const attributeList = (r: RoleAttributes, only?: Array<keyof RoleAttributes>) =>
  ATTRIBUTES.filter(([k]) => !only || only.includes(k)).map(([k, word]) => (r[k] ? word : `NO${word}`)).join(' ');

/** Pure: the statements that bring the cluster to the manifest (nothing when it already is). */
export function planRoles(desired: DesiredRoles, actual: ActualRoles): RolesPlan {
  const steps: RoleStep[] = [];
  const have = new Map(actual.roles.map((r) => [r.name, r]));
  const comment = quoteLiteral(MANAGED_COMMENT);
  for (const r of desired.roles) {
    const role = quoteIdent(r.name);
    const cur = have.get(r.name);
    if (!cur) {
      steps.push({ sql: `CREATE ROLE ${role} WITH ${attributeList(r)}` });
    } else {
      const differ = ATTRIBUTES.map(([k]) => k).filter((k) => cur[k] !== r[k]);
      if (differ.length) steps.push({ sql: `ALTER ROLE ${role} WITH ${attributeList(r, differ)}` });
    }
    if (cur?.comment !== MANAGED_COMMENT) steps.push({ sql: `COMMENT ON ROLE ${role} IS ${comment}` });
    if (r.login && cur?.passwordMatches !== true) steps.push({ password: r.name });
  }
  const dbs = new Map(actual.databases.map((d) => [d.name, d]));
  for (const d of desired.databases) {
    const db = quoteIdent(d.name);
    const cur = dbs.get(d.name);
    if (!cur) steps.push({ sql: `CREATE DATABASE ${db} OWNER ${quoteIdent(d.owner)}` });
    else if (cur.owner !== d.owner) steps.push({ sql: `ALTER DATABASE ${db} OWNER TO ${quoteIdent(d.owner)}` });
    if (cur?.comment !== MANAGED_COMMENT) steps.push({ sql: `COMMENT ON DATABASE ${db} IS ${comment}` });
  }
  const wantRoles = new Set(desired.roles.map((r) => r.name));
  const wantDbs = new Set(desired.databases.map((d) => d.name));
  return {
    steps,
    keptRoles: actual.roles.filter((r) => r.comment === MANAGED_COMMENT && !wantRoles.has(r.name)).map((r) => r.name).sort(),
    keptDatabases: actual.databases.filter((d) => d.comment === MANAGED_COMMENT && !wantDbs.has(d.name)).map((d) => d.name).sort(),
  };
}

/** A step as it may appear in a log or a message: a password step names the role, never a value. */
export function describeStep(s: RoleStep): string {
  return 'sql' in s ? s.sql : `ALTER ROLE ${quoteIdent(s.password)} PASSWORD <verifier of its Secret>`;
}

/** Label on each role's Secret: the role it holds the password of. */
export const USER_SECRET_LABEL = 'opsflow.dev/postgres-role';

/** A LOGIN role's Secret (created once, never re-applied: the password stays what it was). */
export function userSecret(pg: Postgres, username: string, password: string): V1Secret {
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: meta(pg, userSecretName(pg, username), { [USER_SECRET_LABEL]: username }),
    type: 'kubernetes.io/basic-auth',
    stringData: { username, password },
  };
}
