// Roles and databases from the Postgres manifest (pure): identifier and literal quoting, SCRAM
// verifiers, validation naming the field, Secret names, the plan (desired vs actual → statements)
// and the conditions. The real SQL runs in test/e2e/postgres-roles.test.ts.
import assert from 'node:assert/strict';
import { PostgresSchema, type Postgres } from '../../src/api/databases.ts';
import { MANAGED_COMMENT, planRoles, rolesProblems, desiredRoles, userSecretName, describeStep, type ActualRole } from '../../src/engines/postgres/roles.ts';
import { rolesConditions } from '../../src/engines/postgres/roles-status.ts';
import { passwordProblem, scramVerifier, verifierMatches } from '../../src/engines/postgres/scram.ts';
import { quoteIdent, quoteLiteral } from '../../src/engines/postgres/sql-quote.ts';

const pgWith = (spec: Record<string, unknown>): Postgres => PostgresSchema.parse({
  apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg', namespace: 'ns', uid: 'u1' }, spec: { version: '16.15', ...spec },
});

describe('SQL quoting (the one audited place names and values become SQL text)', () => {
  const idents: Array<[string, string]> = [
    ['app', '"app"'],
    ['Mixed Case', '"Mixed Case"'],
    ['a"b', '"a""b"'],
    ['"; DROP ROLE postgres; --', '"""; DROP ROLE postgres; --"'],
    ['héllo-wörld', '"héllo-wörld"'],
    ['日本語', '"日本語"'],
    ['emoji😀', '"emoji😀"'],
    ["o'brien", '"o\'brien"'],
    ['back\\slash', '"back\\slash"'],
  ];
  for (const [input, want] of idents) it(`quoteIdent(${JSON.stringify(input)}) = ${want}`, () => assert.equal(quoteIdent(input), want));
  const refusedIdents: Array<[string, string, RegExp]> = [
    ['empty', '', /cannot be empty/],
    ['a NUL', 'a\0b', /NUL/],
    ['64 ASCII bytes', 'a'.repeat(64), /longer than 63 bytes/],
    ['32 two-byte characters (64 bytes)', 'é'.repeat(32), /longer than 63 bytes/],
    ['a lone surrogate', 'a\uD800b', /well-formed/],
  ];
  for (const [name, input, want] of refusedIdents) it(`quoteIdent refuses ${name}`, () => assert.throws(() => quoteIdent(input), want));
  it('quoteIdent accepts exactly 63 bytes', () => assert.equal(quoteIdent('x'.repeat(63)), `"${'x'.repeat(63)}"`));
  const literals: Array<[string, string]> = [
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ["'; DROP ROLE x; --", "'''; DROP ROLE x; --'"],
    ['back\\slash', "'back\\slash'"],
    ['ünï', "'ünï'"],
  ];
  for (const [input, want] of literals) it(`quoteLiteral(${JSON.stringify(input)}) = ${want}`, () => assert.equal(quoteLiteral(input), want));
  it('quoteLiteral refuses a NUL', () => assert.throws(() => quoteLiteral('a\0'), /NUL/));
});

describe('SCRAM-SHA-256 verifiers (computed client-side; the password never reaches the server)', () => {
  const salt = Buffer.from('0123456789abcdef');
  it('has Postgres\' format and matches its own password only', () => {
    const v = scramVerifier('correct horse', salt);
    assert.match(v, /^SCRAM-SHA-256\$4096:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    assert.equal(verifierMatches(v, 'correct horse'), true);
    assert.equal(verifierMatches(v, 'correct horsf'), false);
    assert.notEqual(scramVerifier('correct horse', Buffer.from('fedcba9876543210')), v, 'a fresh salt, a fresh verifier');
  });
  it('RFC 7677 test vector (user "user", password "pencil"): the ServerKey of its salt and iterations', () => {
    // RFC 7677 §3: salt W22ZaJ0SNY7soEsUEjb6gQ==, i=4096. Its StoredKey/ServerKey are what Postgres
    // stores for that password and salt; computed independently with Python's hashlib (pbkdf2_hmac + hmac).
    const v = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    assert.equal(v, 'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=');
  });
  const others: Array<[string, string | null]> = [['null (no password)', null], ['an md5 hash', 'md5d41d8cd98f00b204e9800998ecf8427e'], ['garbage', 'SCRAM-SHA-256$x']];
  for (const [name, stored] of others) it(`${name} never matches`, () => assert.equal(verifierMatches(stored, 'whatever-password'), false));
  it('refuses non-ASCII passwords (SASLprep would change them); a Secret\'s password needs 8+ characters', () => {
    assert.throws(() => scramVerifier('pässwörd-long', salt), /printable ASCII/);
    assert.equal(passwordProblem('short'), 'is shorter than 8 characters');
    assert.equal(passwordProblem('long-enough'), undefined);
  });
});

describe('spec.users / spec.databases validation (names the field; a refused manifest changes nothing)', () => {
  it('a valid manifest has no problems', () => {
    assert.deepEqual(rolesProblems(pgWith({ users: { app: ['CREATEDB'], '1st-user': [], reader_x: ['nologin'] }, databases: { appdb: 'app', other: 'postgres' } })), []);
  });
  const cases: Array<[string, Record<string, unknown>, RegExp, string?]> = [
    ['reserved postgres', { users: { postgres: [] } }, /^spec\.users\["postgres"\]: reserved role name/],
    ['reserved replication', { users: { replication: [] } }, /^spec\.users\["replication"\]: reserved role name/],
    ['reserved pg_ prefix', { users: { pg_monitor2: [] } }, /^spec\.users\["pg_monitor2"\]: reserved role name/],
    ['the auth Secret\'s superuser', { users: { admin: [] } }, /^spec\.users\["admin"\]: reserved role name: .*admin/, 'admin'],
    ['uppercase name', { users: { App: [] } }, /^spec\.users\["App"\]: invalid role name/],
    ['64 characters', { users: { ['a'.repeat(64)]: [] } }, /invalid role name: 1-63 characters/],
    ['a quote in the name', { users: { 'a"b': [] } }, /invalid role name/],
    ['LOGIN and NOLOGIN', { users: { app: ['LOGIN', 'nologin'] } }, /^spec\.users\["app"\]: LOGIN and NOLOGIN together/],
    ['Secret name collision (_ → -)', { users: { a_b: [], 'a-b': [] } }, /spec\.users\["a-b"\]: its Secret name "a-b\.pg\.credentials" is the one of spec\.users\["a_b"\] too/],
    ['owner not in spec.users', { users: { app: [] }, databases: { appdb: 'nobody' } }, /^spec\.databases\["appdb"\]: owner "nobody" is not in spec\.users/],
    ['reserved database', { databases: { template1: 'postgres' } }, /^spec\.databases\["template1"\]: reserved database name/],
    ['database name too long', { databases: { ['d'.repeat(64)]: 'postgres' } }, /invalid database name/],
  ];
  for (const [name, spec, want, superuser] of cases) {
    it(`refuses ${name}`, () => {
      const p = rolesProblems(pgWith(spec), superuser);
      assert.ok(p.some((x) => want.test(x)), JSON.stringify(p));
    });
  }
  it('an unknown flag is refused by the schema, naming the path', () => {
    const r = PostgresSchema.safeParse({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: {}, spec: { version: '16.15', users: { app: ['SUPERDUPER'] } } });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['spec', 'users', 'app', 0]);
  });
});

describe('LOGIN role Secret names', () => {
  it('default {username}.{cluster}.credentials, _ as -', () => assert.equal(userSecretName(pgWith({}), 'app_user'), 'app-user.pg.credentials'));
  it('a template', () => assert.equal(userSecretName(pgWith({ userSecretNameTemplate: '{cluster}-{username}-pw' }), 'app'), 'pg-app-pw'));
  it('the template must hold {username}', () => assert.equal(PostgresSchema.safeParse({ apiVersion: 'x', kind: 'Postgres', metadata: {}, spec: { version: '1', userSecretNameTemplate: '{cluster}.creds' } }).success, false));
});

describe('roles plan (desired vs pg_roles / pg_database → statements)', () => {
  const none = { superuser: false, createdb: false, createrole: false, login: false, replication: false, bypassrls: false };
  const role = (name: string, attrs: Partial<typeof none>, extra: Partial<ActualRole> = {}): ActualRole => ({ name, ...none, ...attrs, comment: MANAGED_COMMENT, passwordMatches: true, ...extra });
  const spec = { users: { app: ['CREATEDB', 'createrole'], 'read-only': ['NOLOGIN'] }, databases: { appdb: 'app' } };

  it('a fresh cluster: create every role (all attributes explicit), comment it, set LOGIN passwords, create the databases', () => {
    const plan = planRoles(desiredRoles(pgWith(spec)), { roles: [], databases: [] });
    assert.deepEqual(plan.steps.map(describeStep), [
      'CREATE ROLE "app" WITH NOSUPERUSER CREATEDB CREATEROLE LOGIN NOREPLICATION NOBYPASSRLS',
      `COMMENT ON ROLE "app" IS '${MANAGED_COMMENT}'`,
      'ALTER ROLE "app" PASSWORD <verifier of its Secret>',
      'CREATE ROLE "read-only" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOLOGIN NOREPLICATION NOBYPASSRLS',
      `COMMENT ON ROLE "read-only" IS '${MANAGED_COMMENT}'`,
      'CREATE DATABASE "appdb" OWNER "app"',
      `COMMENT ON DATABASE "appdb" IS '${MANAGED_COMMENT}'`,
    ]);
    assert.deepEqual([plan.keptRoles, plan.keptDatabases], [[], []]);
  });
  it('in sync: no statement at all', () => {
    const plan = planRoles(desiredRoles(pgWith(spec)), {
      roles: [role('app', { createdb: true, createrole: true, login: true }), role('read-only', {})],
      databases: [{ name: 'appdb', owner: 'app', comment: MANAGED_COMMENT }],
    });
    assert.deepEqual(plan.steps, []);
  });
  it('a flag removed from the manifest is revoked, one added is granted; only the differing attributes', () => {
    const plan = planRoles(desiredRoles(pgWith({ users: { app: ['SUPERUSER'] } })), { roles: [role('app', { createdb: true, login: true })], databases: [] });
    assert.deepEqual(plan.steps.map(describeStep), ['ALTER ROLE "app" WITH SUPERUSER NOCREATEDB']);
  });
  it('a drifted password (the stored verifier is not the Secret\'s) is set again; an unmanaged role is adopted (comment)', () => {
    const plan = planRoles(desiredRoles(pgWith({ users: { app: [] } })), { roles: [role('app', { login: true }, { passwordMatches: false, comment: null })], databases: [] });
    assert.deepEqual(plan.steps.map(describeStep), [`COMMENT ON ROLE "app" IS '${MANAGED_COMMENT}'`, 'ALTER ROLE "app" PASSWORD <verifier of its Secret>']);
  });
  it('a new owner: ALTER DATABASE … OWNER TO', () => {
    const plan = planRoles(desiredRoles(pgWith({ users: { a: [], b: [] }, databases: { d: 'b' } })), {
      roles: [role('a', { login: true }), role('b', { login: true })], databases: [{ name: 'd', owner: 'a', comment: MANAGED_COMMENT }],
    });
    assert.deepEqual(plan.steps.map(describeStep), ['ALTER DATABASE "d" OWNER TO "b"']);
  });
  it('roles and databases removed from the manifest are kept (no DROP) and listed; unmanaged ones are not', () => {
    const plan = planRoles(desiredRoles(pgWith({ users: { app: [] } })), {
      roles: [role('app', { login: true }), role('gone', { login: true }), role('theirs', {}, { comment: null })],
      databases: [{ name: 'olddb', owner: 'gone', comment: MANAGED_COMMENT }],
    });
    assert.deepEqual(plan.steps, []);
    assert.deepEqual([plan.keptRoles, plan.keptDatabases], [['gone'], ['olddb']]);
  });
});

describe('RolesSynced / RolesKept conditions', () => {
  it('Synced with kept roles and databases', () => {
    const [s, k] = rolesConditions({ kind: 'Synced', roles: 2, databases: 1, changes: 0, keptRoles: ['gone'], keptDatabases: ['olddb'], secretProblems: [] }, 3);
    assert.deepEqual([s?.type, s?.status, s?.reason, s?.observedGeneration], ['RolesSynced', 'True', 'Synced', 3]);
    assert.deepEqual([k?.type, k?.status, k?.reason], ['RolesKept', 'True', 'RemovedFromManifest']);
    assert.match(k?.message ?? '', /roles gone \(removed from spec\.users\); databases olddb \(removed from spec\.databases\)/);
  });
  it('Invalid: False, nothing changed, the problems', () => {
    const [s] = rolesConditions({ kind: 'Invalid', problems: ['spec.users["postgres"]: reserved role name'] });
    assert.deepEqual([s?.status, s?.reason], ['False', 'InvalidSpec']);
    assert.match(s?.message ?? '', /^nothing changed in Postgres: spec\.users\["postgres"\]: reserved/);
  });
});
