// Pure Postgres Reconfigure logic: value validation and normalisation against pg_settings rows
// (rows as PostgreSQL 16 reports them), config layering with KubeDB's precedence, restart decisions.
import assert from 'node:assert/strict';
import { planUserConfig } from '../../src/engines/postgres/reconfigure.ts';
import {
  changedParams, loweredStandbyLimits, needsRestart, normaliseValue, paramProblems, settingMatches, type PgSetting,
} from '../../src/engines/postgres/settings.ts';

const row = (name: string, vartype: string, context: string, unit: string | null, min: string | null, max: string | null, setting: string, enumvals: string[] | null = null): PgSetting & { boot_val: string } =>
  ({ name, vartype, context, unit, min_val: min, max_val: max, enumvals, setting, boot_val: setting });

const catalog = new Map([
  row('max_connections', 'integer', 'postmaster', null, '1', '262143', '100'),
  row('shared_buffers', 'integer', 'postmaster', '8kB', '16', '1073741823', '16384'),
  row('work_mem', 'integer', 'user', 'kB', '64', '2147483647', '4096'),
  row('checkpoint_timeout', 'integer', 'sighup', 's', '30', '86400', '300'),
  row('log_min_duration_statement', 'integer', 'superuser', 'ms', '-1', '2147483647', '-1'),
  row('random_page_cost', 'real', 'user', null, '0', '1.79769e+308', '4'),
  row('log_connections', 'bool', 'superuser-backend', null, null, null, 'off'),
  row('wal_level', 'enum', 'postmaster', null, null, null, 'replica', ['minimal', 'replica', 'logical']),
  row('block_size', 'integer', 'internal', null, '8192', '8192', '8192'),
  row('port', 'integer', 'postmaster', null, '1', '65535', '5432'),
  row('application_name', 'string', 'user', null, null, null, ''),
].map((r) => [r.name, r]));
const s = (n: string) => catalog.get(n) as PgSetting;

describe('Postgres settings (pure)', () => {
  it('normalises memory and time values to the base unit pg_settings reports', () => {
    assert.deepEqual(normaliseValue(s('shared_buffers'), '256MB'), { ok: true, value: '32768' });
    assert.deepEqual(normaliseValue(s('shared_buffers'), '1GB'), { ok: true, value: '131072' });
    assert.deepEqual(normaliseValue(s('work_mem'), '8MB'), { ok: true, value: '8192' });
    assert.deepEqual(normaliseValue(s('work_mem'), '512'), { ok: true, value: '512' });
    assert.deepEqual(normaliseValue(s('checkpoint_timeout'), '10min'), { ok: true, value: '600' });
    assert.deepEqual(normaliseValue(s('log_min_duration_statement'), '2s'), { ok: true, value: '2000' });
    assert.deepEqual(normaliseValue(s('log_connections'), 'yes'), { ok: true, value: 'on' });
    assert.deepEqual(normaliseValue(s('wal_level'), 'LOGICAL'), { ok: true, value: 'logical' });
  });

  it('rejects bad values with the reason', () => {
    const problem = (n: string, v: string) => { const r = normaliseValue(s(n), v); return r.ok ? undefined : r.problem; };
    assert.match(problem('max_connections', 'lots') ?? '', /not an integer/);
    assert.match(problem('max_connections', '0') ?? '', /out of range 1 \.\. 262143/);
    assert.match(problem('shared_buffers', '10s') ?? '', /unit "s" does not fit/);
    assert.match(problem('max_connections', '10MB') ?? '', /takes no unit/);
    assert.match(problem('log_connections', 'maybe') ?? '', /not a boolean/);
    assert.match(problem('wal_level', 'archive') ?? '', /not one of minimal, replica, logical/);
    assert.match(problem('random_page_cost', '-1') ?? '', /out of range/);
  });

  it('compares read-back settings with what was asked, in any spelling', () => {
    assert.ok(settingMatches({ ...s('shared_buffers'), setting: '32768' }, '256MB'));
    assert.ok(!settingMatches({ ...s('shared_buffers'), setting: '16384' }, '256MB'));
    assert.ok(settingMatches({ ...s('random_page_cost'), setting: '1.1' }, '1.1'));
  });

  it('names the field of unknown, managed, read-only and invalid parameters', () => {
    const where = (n: string) => (n === 'work_mem' ? 'spec.configuration.configSecret' : 'spec.configuration.applyConfig["user.conf"]');
    const problems = paramProblems({ max_connectionz: '5', port: '5433', block_size: '4096', work_mem: 'big', 'myext.setting': 'x', max_connections: '200' }, catalog, where);
    assert.deepEqual(problems, [
      'spec.configuration.applyConfig["user.conf"]: unknown parameter "max_connectionz"',
      'spec.configuration.applyConfig["user.conf"]: "port" is set by opsflow and cannot be configured',
      'spec.configuration.applyConfig["user.conf"]: "block_size" is read-only (fixed when PostgreSQL was built or initialised)',
      'spec.configuration.configSecret: work_mem: "big" is not an integer (with an optional unit; base unit kB)',
    ]);
  });

  it('restarts only for postmaster parameters, and the primary first when a standby limit decreases', () => {
    const changed = changedParams({ max_connections: '100', work_mem: '4MB' }, { max_connections: '100', work_mem: '8MB', checkpoint_timeout: '10min' });
    assert.deepEqual(changed, ['checkpoint_timeout', 'work_mem']);
    assert.deepEqual(needsRestart(changed, catalog), []);
    assert.deepEqual(needsRestart(['shared_buffers', 'work_mem'], catalog), ['shared_buffers']);
    assert.deepEqual(loweredStandbyLimits({ max_connections: '250' }, { max_connections: '100' }, catalog), ['max_connections']);
    assert.deepEqual(loweredStandbyLimits({ max_connections: '100' }, { max_connections: '250' }, catalog), []);
  });
});

describe('Postgres Reconfigure config layering (pure)', () => {
  const current = { secret: 'pg-custom', data: { 'user.conf': "max_connections = 150\nwork_mem = '8MB'\n" } };
  it('merges applyConfig on top of the current custom config, parameter by parameter', () => {
    const p = planUserConfig({ applyConfig: { 'user.conf': 'max_connections=230\nshared_buffers=512MB' }, restart: 'auto' }, { current });
    assert.ok(p.ok);
    assert.deepEqual(p.params, { max_connections: '230', work_mem: '8MB', shared_buffers: '512MB' });
    assert.equal(p.origin.work_mem, 'the current custom config (Secret pg-custom)');
    assert.equal(p.origin.max_connections, 'spec.configuration.applyConfig["user.conf"]');
  });
  it('replaces the custom config with configSecret, applyConfig still on top', () => {
    const p = planUserConfig({ configSecret: { name: 'new' }, applyConfig: { 'user.conf': 'work_mem = 1MB' }, restart: 'auto' },
      { current, requested: { secret: 'new', data: { 'user.conf': 'max_connections = 250\nshared_buffers = 350MB' } } });
    assert.ok(p.ok);
    assert.deepEqual(p.params, { max_connections: '250', shared_buffers: '350MB', work_mem: '1MB' });
  });
  it('removeCustomConfig goes back to the defaults (plus what the request gives)', () => {
    const p = planUserConfig({ removeCustomConfig: true, restart: 'auto' }, { current });
    assert.ok(p.ok);
    assert.deepEqual(p.params, {});
  });
  it('names the field of each problem', () => {
    const p = planUserConfig({ configSecret: { name: 'missing' }, applyConfig: { 'my.cnf': 'x=1', 'user.conf': 'max_connections =' }, restart: 'auto' }, {});
    assert.ok(!p.ok);
    assert.deepEqual(p.problems, [
      'spec.configuration.applyConfig: key "my.cnf" is not a Postgres config file (use "user.conf")',
      'spec.configuration.configSecret (Secret missing): not found',
      'spec.configuration.applyConfig["user.conf"]: line 1: "max_connections =" is not "name = value"',
    ]);
    const none = planUserConfig({ restart: 'auto' }, {});
    assert.ok(!none.ok && /give configSecret, applyConfig or removeCustomConfig/.test(none.problems[0] ?? ''));
  });
});
