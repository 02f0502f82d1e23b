// The Postgres parameter policy (pure), table-driven: what a user may never set, and that it is
// applied on every path that writes postgresql.conf (OpsRequest applyConfig and configSecret, the
// current custom config, the database's own configSecret).
import assert from 'node:assert/strict';
import { refusalOf, policyProblems } from '../../src/engines/postgres/parameter-policy.ts';
import { planUserConfig } from '../../src/engines/postgres/reconfigure.ts';
import { desiredParams } from '../../src/engines/postgres/render.ts';

describe('Postgres parameter policy', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['archive_command', "'touch /tmp/x-%f'", /runs a shell command/],
    ['restore_command', 'cp', /runs a shell command/],
    ['archive_cleanup_command', 'x', /shell command/],
    ['recovery_end_command', 'x', /shell command/],
    ['ssl_passphrase_command', 'x', /shell command/],
    ['ssl_passphrase_command_supports_reload', 'on', /shell command/],
    ['shared_preload_libraries', 'pg_stat_statements', /native code/],
    ['session_preload_libraries', 'x', /native code/],
    ['local_preload_libraries', 'x', /native code/],
    ['archive_library', 'basic_archive', /native code/],
    ['dynamic_library_path', '/tmp', /native code/],
    ['jit_provider', 'llvmjit', /native code/],
    ['ssl_cert_file', '/x', /names a file/],
    ['ssl_key_file', '/x', /names a file/],
    ['ssl_ca_file', '/x', /names a file/],
    ['ssl_crl_dir', '/x', /names a directory/],
    ['krb_server_keyfile', '/x', /names a file/],
    ['external_pid_file', '/x', /writes a file/],
    ['data_directory', '/x', /directory/],
    ['hba_file', '/x', /pg_hba/],
    ['ident_file', '/x', /pg_ident/],
    ['config_file', '/x', /config file/],
    ['log_directory', '/var/pv', /names a directory/],
    ['log_filename', 'x', /names a file/],
    ['stats_temp_directory', '/x', /directory/],
    ['promote_trigger_file', '/x', /file/],
    ['include', 'x.conf', /includes another file/],
    ['include_dir', 'conf.d', /includes other files/],
    ['include_if_exists', 'x.conf', /includes another file/],
    ['listen_addresses', '*', /addresses/],
    ['port', '5433', /port/],
    ['unix_socket_directories', '/tmp', /sockets|directory/],
    ['unix_socket_permissions', '0777', /sockets/],
    ['primary_conninfo', 'host=evil', /wires standbys/],
    ['primary_slot_name', 's', /wires standbys/],
    ['synchronous_standby_names', '*', /stalls every commit/],
    ['cluster_name', 'x', /opsflow sets it/],
    ['recovery_target_time', '2020-01-01', /recovery target/],
    ['recovery_target_action', 'promote', /recovery target/],
    ['recovery_target', 'immediate', /recovery target/],
    ['archive_mode', 'on', /disk fills/],
    ['archive_timeout', '60', /archiving/],
    ['logging_collector', 'on', /stderr/],
    ['log_destination', 'csvlog', /stderr/],
    ['ssl', 'on', /certificates/],
    ['allow_alter_system', 'off', /owns the configuration/],
    ['hot_standby', 'off', /standbys/],
    ['wal_level', 'minimal', /replication/],
    ['fsync', 'off', /loses data/],
    ['full_page_writes', 'false', /corrupts/],
    ['zero_damaged_pages', 'on', /destroys/],
    ['ignore_checksum_failure', 'yes', /corruption/],
    ['allow_system_table_mods', 'on', /catalogs/],
    ['myext.run_command', 'x', /shell command/],
    ['myext.some_file', 'x', /names a file/],
    ['ARCHIVE_COMMAND', 'x', /shell command/],
  ];
  for (const [name, value, why] of refused) {
    it(`refuses ${name} = ${value}`, () => assert.match(refusalOf(name, value) ?? '(allowed)', why));
  }

  const allowed: Array<[string, string]> = [
    ['max_connections', '250'], ['shared_buffers', '350MB'], ['work_mem', '8MB'], ['log_line_prefix', '%m [%p] '],
    ['log_min_duration_statement', '250'], ['log_connections', 'on'], ['hot_standby', 'on'], ['wal_level', 'logical'],
    ['fsync', 'on'], ['zero_damaged_pages', 'off'], ['ssl_ciphers', 'HIGH'], ['ssl_min_protocol_version', 'TLSv1.3'],
    ['synchronous_commit', 'remote_apply'], ['recovery_min_apply_delay', '0'], ['max_prepared_transactions', '5'],
    ['temp_file_limit', '1GB'], ['pg_stat_statements.max', '5000'], ['checkpoint_timeout', '10min'],
  ];
  for (const [name, value] of allowed) it(`allows ${name} = ${value}`, () => assert.equal(refusalOf(name, value), undefined));

  it('names the field, the parameter and why', () => {
    assert.deepEqual(policyProblems({ work_mem: '1MB', archive_command: 'x' }, 'spec.configuration.applyConfig["user.conf"]'),
      ['spec.configuration.applyConfig["user.conf"]: archive_command is not allowed: it runs a shell command']);
  });

  it('applies to applyConfig, the requested configSecret and the current custom config', () => {
    const bad = "archive_mode = on\narchive_command = 'touch /tmp/x-%f'\n";
    const a = planUserConfig({ applyConfig: { 'user.conf': bad }, restart: 'auto' }, {});
    assert.ok(!a.ok);
    assert.deepEqual(a.problems, [
      'spec.configuration.applyConfig["user.conf"]: archive_command is not allowed: it runs a shell command',
      'spec.configuration.applyConfig["user.conf"]: archive_mode is not allowed: archiving is run by the operator; archive_mode on without an archive command keeps every WAL segment until the disk fills',
    ]);
    const s = planUserConfig({ configSecret: { name: 'evil' }, restart: 'auto' }, { requested: { secret: 'evil', data: { 'user.conf': "shared_preload_libraries = 'evil'" } } });
    assert.ok(!s.ok);
    assert.match(s.problems[0] ?? '', /^spec\.configuration\.configSecret \(Secret evil\), key user\.conf: shared_preload_libraries is not allowed: it loads shared libraries/);
    const c = planUserConfig({ applyConfig: { 'user.conf': 'work_mem = 1MB' }, restart: 'auto' }, { current: { secret: 'old', data: { 'user.conf': 'restore_command = cp' } } });
    assert.ok(!c.ok);
    assert.match(c.problems[0] ?? '', /^the current custom config \(Secret old, key user\.conf\): restore_command is not allowed/);
  });

  it("applies to the database's own configSecret (nothing is rendered)", () => {
    assert.throws(() => desiredParams({ 'user.conf': "archive_command = 'touch /tmp/x'" }, 'pg-conf'),
      /^Error: spec\.configSecret \(Secret pg-conf, key user\.conf\): archive_command is not allowed: it runs a shell command$/);
    assert.equal(desiredParams({ 'user.conf': 'work_mem = 8MB' }, 'pg-conf').work_mem, '8MB');
  });
});
