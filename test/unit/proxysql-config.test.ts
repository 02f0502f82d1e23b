// Pure parts of ProxySQL Reconfigure and UpdateVersion: validation messages (field paths), SQL
// building with SQLite quoting, idempotent statements, passwords kept out of the shown text, the
// runtime expectations, and the rollout order.
import assert from 'node:assert/strict';
import {
  applyStatements, configurationProblems, describeConfiguration, expectationProblems, expectations, liveProblems, literal, quote, variableName,
  type ProxySQLConfiguration,
} from '../../src/engines/proxysql/config.ts';
import { proxysqlRolloutOrder } from '../../src/engines/proxysql/plan.ts';
import { MYSQL_USERS_COLUMNS } from '../../src/engines/proxysql/tables.ts';

const pw = (u: string) => ({ app: "p'w\"d;--", bob: 'secret-bob' } as Record<string, string>)[u];

describe('ProxySQL Reconfigure (pure)', () => {
  it('quotes strings the SQLite way and renders typed literals', () => {
    assert.equal(quote("it's"), "'it''s'");
    assert.equal(quote("'; DROP TABLE x; --"), "'''; DROP TABLE x; --'");
    assert.equal(literal(true, { type: 'int', notNull: true }), '1');
    assert.equal(literal('12', { type: 'int', notNull: true }), '12');
    assert.equal(literal(null, { type: 'str', notNull: false }), 'NULL');
    assert.equal(literal(5, { type: 'str', notNull: false }), "'5'");
  });

  it('adds users with INSERT OR REPLACE (a retry is no error), the password only in sql, never in shown', () => {
    const cfg: ProxySQLConfiguration = { mysqlUsers: { reqType: 'add', users: [{ username: 'app', password: 'x', default_hostgroup: 2, active: 1 }] } };
    const st = applyStatements(cfg, pw);
    assert.equal(st[0]?.sql, "INSERT OR REPLACE INTO mysql_users (username, password, default_hostgroup, active) VALUES ('app', 'p''w\"d;--', 2, 1)");
    assert.ok(!st[0]?.shown.includes('p\'\'w'), 'shown has no password');
    assert.match(st[0]?.shown ?? '', /<redacted>/);
    assert.deepEqual(st.slice(1).map((s) => s.sql), ['LOAD MYSQL USERS TO RUNTIME', 'SAVE MYSQL USERS TO DISK']);
  });

  it('fails building when a password cannot be found (never writes a placeholder)', () => {
    assert.throws(() => applyStatements({ mysqlUsers: { reqType: 'add', users: [{ username: 'nobody', password: 'x' }] } }, pw), /no password for mysql user "nobody"/);
  });

  it('updates and deletes rules by rule_id; sets variables with their prefix', () => {
    const up = applyStatements({ mysqlQueryRules: { reqType: 'update', rules: [{ rule_id: 3, match_digest: '^SELECT .* FOR UPDATE$', destination_hostgroup: 1 }] } }, pw);
    assert.equal(up[0]?.sql, "UPDATE mysql_query_rules SET match_digest = '^SELECT .* FOR UPDATE$', destination_hostgroup = 1 WHERE rule_id = 3");
    const del = applyStatements({ mysqlQueryRules: { reqType: 'delete', rules: [{ rule_id: 4 }] } }, pw);
    assert.deepEqual(del.map((s) => s.sql), ['DELETE FROM mysql_query_rules WHERE rule_id = 4', 'LOAD MYSQL QUERY RULES TO RUNTIME', 'SAVE MYSQL QUERY RULES TO DISK']);
    const vars = applyStatements({ adminVariables: { refresh_interval: 2055 }, mysqlVariables: { 'mysql-max_connections': 1500, multiplexing: false } }, pw);
    assert.deepEqual(vars.map((s) => s.sql), [
      "UPDATE global_variables SET variable_value = '2055' WHERE variable_name = 'admin-refresh_interval'",
      'LOAD ADMIN VARIABLES TO RUNTIME', 'SAVE ADMIN VARIABLES TO DISK',
      "UPDATE global_variables SET variable_value = '1500' WHERE variable_name = 'mysql-max_connections'",
      "UPDATE global_variables SET variable_value = 'false' WHERE variable_name = 'mysql-multiplexing'",
      'LOAD MYSQL VARIABLES TO RUNTIME', 'SAVE MYSQL VARIABLES TO DISK',
    ]);
    assert.equal(variableName('admin-', 'admin-x'), 'admin-x');
  });

  it('names the field of every static problem', () => {
    const problems = configurationProblems({
      mysqlUsers: { reqType: 'add', users: [{ username: 'a', default_hostgroup: 'two' }, { username: 'b', passwordSecretRef: { name: 'b-pw' }, colour: 'red' }, { username: 'b', password: 'y' }] },
      mysqlQueryRules: { reqType: 'update', rules: [{ rule_id: 1 }, { rule_id: 2, match_pattern: '\\d+', no_such: 1 }] },
      adminVariables: { admin_credentials: 'admin:x', version: '9' },
      mysqlVariables: { 'bad name': 1 },
    });
    const expected = [
      'spec.configuration.mysqlUsers.users[0].default_hostgroup: must be an integer',
      'spec.configuration.mysqlUsers.users[1].colour: unknown mysql_users column',
      'spec.configuration.mysqlUsers.users[2].username: mysql user "b" is listed twice',
      'spec.configuration.mysqlUsers.users[2].password: a cleartext password is not accepted in an OpsRequest: put it in a Secret and reference it with passwordSecretRef',
      'spec.configuration.mysqlQueryRules.rules[0]: nothing to update',
      'spec.configuration.mysqlQueryRules.rules[1].match_pattern: contains a backslash',
      'spec.configuration.mysqlQueryRules.rules[1].no_such: unknown mysql_query_rules column',
      'spec.configuration.adminVariables.admin_credentials: admin-admin_credentials holds credentials',
      'spec.configuration.adminVariables.version: admin-version is read-only',
      'spec.configuration.mysqlVariables.bad name: not a variable name',
    ];
    for (const e of expected) assert.ok(problems.some((p) => p.startsWith(e)), `missing "${e}" in:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
    assert.deepEqual(configurationProblems({}), ['spec.configuration: give at least one of mysqlUsers, mysqlQueryRules, adminVariables, mysqlVariables']);
    assert.deepEqual(configurationProblems({ mysqlUsers: { reqType: 'delete', users: [{ username: 'gone' }] } }), []);
    // KubeDB's add-user example: no password at all (taken from the backend, or a Secret).
    assert.deepEqual(configurationProblems({ mysqlUsers: { reqType: 'add', users: [{ username: 'testA', active: 1, default_hostgroup: 2 }] } }), []);
    assert.deepEqual(configurationProblems({ mysqlUsers: { reqType: 'delete', users: [{ username: 'x', passwordSecretRef: { name: 's' } }] } }),
      ['spec.configuration.mysqlUsers.users[0].passwordSecretRef: not used when reqType is delete']);
  });

  it('a problem with a password never shows the password', () => {
    const problems = configurationProblems({ mysqlUsers: { reqType: 'add', users: [{ username: 'a', password: 'top\\secret' }] } });
    assert.equal(problems.length, 1);
    assert.ok(!problems[0]?.includes('top'), problems[0]);
  });

  it('checks against the live config: add of an existing row, update/delete of a missing one, unknown variables', () => {
    const facts = { users: new Set(['app']), rules: new Set([1]), variables: new Set(['admin-refresh_interval', 'mysql-max_connections']) };
    assert.deepEqual(liveProblems({
      mysqlUsers: { reqType: 'add', users: [{ username: 'app', password: 'x' }] },
      mysqlQueryRules: { reqType: 'delete', rules: [{ rule_id: 7 }] },
      adminVariables: { refresh_interval: 1 }, mysqlVariables: { max_conections: 5 },
    }, facts), [
      'spec.configuration.mysqlUsers.users[0].username: mysql user "app" already exists (use reqType update)',
      'spec.configuration.mysqlQueryRules.rules[0].rule_id: query rule 7 does not exist',
      'spec.configuration.mysqlVariables.max_conections: unknown ProxySQL variable mysql-max_conections',
    ]);
    assert.deepEqual(liveProblems({ mysqlUsers: { reqType: 'update', users: [{ username: 'app', active: 0 }] } }, facts), []);
  });

  it('expects the runtime rows and compares them (variables case-insensitively, passwords through the checker)', () => {
    const cfg: ProxySQLConfiguration = {
      mysqlUsers: { reqType: 'add', users: [{ username: 'app', password: 'x', default_hostgroup: 2, frontend: 1 }] },
      mysqlQueryRules: { reqType: 'delete', rules: [{ rule_id: 4 }] },
      mysqlVariables: { multiplexing: false },
    };
    const [user, rule, variable] = expectations(cfg);
    assert.deepEqual(user?.columns, { username: 'app', default_hostgroup: '2' });
    assert.equal(user?.passwordOf, 'app');
    const ok = (_u: string, stored: unknown) => stored === 'x';
    assert.deepEqual(expectationProblems('m0', user!, [{ username: 'app', default_hostgroup: 2, password: 'x' }], ok), []);
    assert.deepEqual(expectationProblems('m0', user!, [{ username: 'app', default_hostgroup: 0, password: 'y' }], ok), [
      'm0: mysql user "app" has default_hostgroup = 0, expected "2"', 'm0: mysql user "app" does not have the requested password']);
    assert.deepEqual(expectationProblems('m1', rule!, [{ rule_id: 4 }], ok), ['m1: query rule 4 is still there']);
    assert.deepEqual(expectationProblems('m1', variable!, [{ variable_name: 'mysql-multiplexing', variable_value: 'FALSE' }], ok), []);
    assert.deepEqual(expectationProblems('m1', variable!, [], ok), ['m1: variable mysql-multiplexing is missing from the runtime']);
    assert.equal(describeConfiguration(cfg), 'add 1 user(s) (app); delete 1 query rule(s) (4); set mysql-multiplexing');
  });

  it('knows the mysql_users columns ProxySQL 2.x has', () => {
    assert.deepEqual(Object.keys(MYSQL_USERS_COLUMNS).slice(0, 3), ['username', 'password', 'active']);
  });
});

describe('ProxySQL UpdateVersion order (pure)', () => {
  it('rolls the highest ordinal first, <db>-0 last', () => {
    assert.deepEqual(proxysqlRolloutOrder(['p-0', 'p-1', 'p-10', 'p-2']), ['p-10', 'p-2', 'p-1', 'p-0']);
  });
});
