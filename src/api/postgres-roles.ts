// spec.users, spec.databases and spec.userSecretNameTemplate of a Postgres (Zalando's semantics,
// opsflow's field names): a role name maps to its flags (LOGIN unless NOLOGIN), a database name to
// its owner. The API server refuses a bad manifest with the CEL rules below; the provisioner checks
// the same (and what CEL cannot see) with rolesProblems (src/engines/postgres/roles.ts).
import { z } from 'zod';

/** The role attributes a manifest may set (either case, as Zalando accepts). */
export const ROLE_FLAGS = ['SUPERUSER', 'CREATEDB', 'CREATEROLE', 'LOGIN', 'NOLOGIN', 'REPLICATION', 'BYPASSRLS'] as const;
export type RoleFlag = (typeof ROLE_FLAGS)[number];
export const RoleFlagSchema = z.enum([...ROLE_FLAGS, ...ROLE_FLAGS.map((f) => f.toLowerCase())] as [string, ...string[]]);

/** Role names Postgres or opsflow itself owns: refused in spec.users (and anything starting with pg_). */
export const RESERVED_ROLES = ['postgres', 'replication', 'public', 'none', 'current_user', 'session_user', 'current_role'] as const;
/** Databases that exist in every cluster: refused in spec.databases. */
export const RESERVED_DATABASES = ['postgres', 'template0', 'template1'] as const;
/** The superuser opsflow bootstraps (an owner spec.users need not declare). */
export const BOOTSTRAP_SUPERUSER = 'postgres';

/** A role name also names its Secret, so it is a DNS-safe word (Zalando's pattern without dots). */
export const ROLE_NAME_PATTERN = '^[a-z0-9]([-_a-z0-9]*[a-z0-9])?$';
export const DATABASE_NAME_PATTERN = '^[A-Za-z0-9_]([-_A-Za-z0-9]*[A-Za-z0-9_])?$';
/** NAMEDATALEN - 1: Postgres truncates longer identifiers, so they are refused. */
export const MAX_IDENTIFIER_LENGTH = 63;
export const MAX_ROLES = 64;
export const MAX_DATABASES = 64;

export const DEFAULT_USER_SECRET_TEMPLATE = '{username}.{cluster}.credentials';
export const SECRET_TEMPLATE_PATTERN = '^([-.a-z0-9]|\\{username\\}|\\{cluster\\})*\\{username\\}([-.a-z0-9]|\\{username\\}|\\{cluster\\})*$';

const list = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
const badRole = `size(k) > ${MAX_IDENTIFIER_LENGTH} || !k.matches('${ROLE_NAME_PATTERN}')`;
const reservedRole = `k.startsWith('pg_') || k in ${list(RESERVED_ROLES)}`;
const hasFlag = (f: string, flag: string) => `('${flag}' in self.users[${f}] || '${flag.toLowerCase()}' in self.users[${f}])`;
const badDatabase = `size(k) > ${MAX_IDENTIFIER_LENGTH} || !k.matches('${DATABASE_NAME_PATTERN}')`;
const unknownOwner = `self.databases[k] != '${BOOTSTRAP_SUPERUSER}' && (!has(self.users) || !(self.databases[k] in self.users))`;

/**
 * CEL rules on the Postgres spec; each message names the field. (A messageExpression naming the
 * offending keys, filter + join, exceeds the API server's cost budget; the provisioner's
 * RolesSynced message names them when it is the one refusing.)
 */
export const rolesRules = [
  { rule: `!has(self.users) || self.users.all(k, !(${badRole}))`, message: `spec.users: invalid role name: a role name is 1-${MAX_IDENTIFIER_LENGTH} characters of a-z, 0-9, _ and -, starting and ending with a letter or digit`, fieldPath: '.users', reason: 'FieldValueInvalid' },
  { rule: `!has(self.users) || self.users.all(k, !(${reservedRole}))`, message: `spec.users: reserved role name: ${RESERVED_ROLES.join(', ')} and names starting with pg_ belong to Postgres or opsflow`, fieldPath: '.users', reason: 'FieldValueForbidden' },
  { rule: `!has(self.users) || self.users.all(k, !(${hasFlag('k', 'LOGIN')} && ${hasFlag('k', 'NOLOGIN')}))`, message: 'spec.users: a role has LOGIN and NOLOGIN together: choose one', fieldPath: '.users', reason: 'FieldValueInvalid' },
  { rule: `!has(self.databases) || self.databases.all(k, !(${badDatabase}))`, message: `spec.databases: invalid database name: a database name is 1-${MAX_IDENTIFIER_LENGTH} characters of letters, digits, _ and -`, fieldPath: '.databases', reason: 'FieldValueInvalid' },
  { rule: `!has(self.databases) || self.databases.all(k, !(k in ${list(RESERVED_DATABASES)}))`, message: `spec.databases: reserved database name: ${RESERVED_DATABASES.join(', ')} exist in every cluster`, fieldPath: '.databases', reason: 'FieldValueForbidden' },
  { rule: `!has(self.databases) || self.databases.all(k, !(${unknownOwner}))`, message: `spec.databases: a database's owner is not in spec.users (nor ${BOOTSTRAP_SUPERUSER})`, fieldPath: '.databases', reason: 'FieldValueInvalid' },
];

export const rolesSpecFields = {
  users: z.record(z.string(), z.array(RoleFlagSchema).max(ROLE_FLAGS.length * 2)).optional().meta({
    description: 'Postgres roles: role name → flags (SUPERUSER, CREATEDB, CREATEROLE, LOGIN, NOLOGIN, REPLICATION, BYPASSRLS; LOGIN unless NOLOGIN). Each LOGIN role gets a Secret with a generated password. Removed roles are kept, not dropped; removed flags are revoked.',
    maxProperties: MAX_ROLES,
  }),
  databases: z.record(z.string(), z.string().min(1).max(MAX_IDENTIFIER_LENGTH)).optional().meta({
    description: 'Databases: name → owner (a role of spec.users, or postgres). Removed databases are kept, not dropped.',
    maxProperties: MAX_DATABASES,
  }),
  userSecretNameTemplate: z.string().max(200).regex(new RegExp(SECRET_TEMPLATE_PATTERN), 'must contain {username} and only a-z, 0-9, ".", "-", {username} and {cluster}').optional().meta({
    description: `Name of each LOGIN role's Secret; {username} (with _ as -) and {cluster} (the Postgres name) are replaced. Default ${DEFAULT_USER_SECRET_TEMPLATE}`,
  }),
};
