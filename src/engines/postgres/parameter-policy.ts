// Which postgresql.conf parameters a user may set (pure). Applied on every path that writes the
// config the Pods mount: a PostgresOpsRequest's applyConfig and configSecret, and the database's own
// spec.configSecret (at creation and whenever its content changes). Reference: CloudNativePG's
// fixed-parameter list (DESIGN.md §7). The groups, and why each is refused:
//
// - Code execution. Anything that runs a shell command (`*_command`: archive_command,
//   restore_command, archive_cleanup_command, recovery_end_command, ssl_passphrase_command, …) or
//   loads native code into the server (`*_preload_libraries`, `*_library` such as archive_library,
//   dynamic_library_path, jit_provider). Whoever may create an OpsRequest must not be able to run
//   code as the postgres user in the database Pods.
// - Files and directories (`*_file`, `*_directory`/`_directories`, `*_dir`, `*_keyfile`, log_filename,
//   data_directory, hba_file, ident_file, external_pid_file, promote_trigger_file, …). They would let
//   a config read or write files anywhere the postgres user can, or move what the operator's scripts
//   lay out (data directory, pg_hba.conf, sockets).
// - Includes (include, include_dir, include_if_exists, config_file): they pull in text this check
//   never sees.
// - Ports and addresses (listen_addresses, port, unix_socket_*, bonjour*): the Pods' probes,
//   Services and the replication connections depend on them.
// - Replication wiring (primary_conninfo, primary_slot_name, synchronous_standby_names,
//   synchronized_standby_slots, cluster_name, hot_standby off, wal_level minimal): opsflow sets up
//   streaming replication; these would point a standby elsewhere, stall every commit on a standby
//   that does not exist, or stop standbys from starting or serving the sync check.
// - Recovery (recovery_target*): stops WAL replay at a point or promotes; data loss on a standby or
//   after a restore. opsflow has no point-in-time recovery yet.
// - Archiving (archive_*, archive_mode): with archive_mode on and no archive command (refused above)
//   the server keeps every WAL segment until the disk fills. Archiving comes with backups, run by
//   the operator.
// - Logging destination (logging_collector, log_destination, log_file_mode): the server logs to
//   stderr, which `kubectl logs` and the termination message read; a collector writes into the
//   data volume instead.
// - TLS switch (ssl): the Pods carry no certificates yet; `ssl = on` keeps the server from starting.
//   TLS tuning (ssl_ciphers, ssl_min_protocol_version, …) is allowed; ssl_*_file are files.
// - Operator settings (allow_alter_system): opsflow owns the configuration.
// - Data safety, by value: fsync, full_page_writes off; zero_damaged_pages, ignore_checksum_failure,
//   ignore_invalid_pages, allow_system_table_mods on. Each silently loses or corrupts data.
//
// Extension parameters (`ext.name`) are judged by their last part, so `ext.some_command` is refused too.

export interface Refusal { parameter: string; why: string }

const exact: Record<string, string> = {
  dynamic_library_path: 'it tells the server where to load native code from',
  jit_provider: 'it loads a shared library (native code) into the server',
  data_directory: 'it names a directory on the server; opsflow lays out the data volume',
  config_file: 'it names another config file; opsflow owns the configuration',
  hba_file: 'it names a file on the server; opsflow writes pg_hba.conf',
  ident_file: 'it names a file on the server; opsflow writes pg_ident.conf',
  external_pid_file: 'it writes a file anywhere the postgres user can',
  log_filename: 'it names a file on the server',
  include: 'it includes another file, which this check never sees',
  include_dir: 'it includes other files, which this check never sees',
  include_if_exists: 'it includes another file, which this check never sees',
  listen_addresses: 'opsflow sets the addresses the Pods listen on',
  port: 'opsflow sets the port; probes, Services and replication use it',
  bonjour: 'service discovery is not part of a Pod\'s network',
  bonjour_name: 'service discovery is not part of a Pod\'s network',
  primary_conninfo: 'opsflow wires standbys to the primary',
  primary_slot_name: 'opsflow wires standbys to the primary',
  synchronous_standby_names: 'opsflow manages replication; a name that matches no standby stalls every commit',
  synchronized_standby_slots: 'opsflow manages replication slots',
  cluster_name: 'opsflow sets it (it names the server in replication and process titles)',
  archive_mode: 'archiving is run by the operator; archive_mode on without an archive command keeps every WAL segment until the disk fills',
  logging_collector: 'the server logs to stderr (kubectl logs); a collector writes into the data volume instead',
  log_destination: 'the server logs to stderr (kubectl logs)',
  log_file_mode: 'the server logs to stderr (kubectl logs)',
  ssl: 'the Pods carry no TLS certificates yet; ssl = on keeps the server from starting',
  allow_alter_system: 'opsflow owns the configuration',
};

// Refused whatever the value, by name pattern (checked on the last part of a dotted name).
const patterns: Array<[RegExp, string]> = [
  [/_command$/, 'it runs a shell command'],
  [/_command_supports_reload$/, 'it belongs to a shell command setting'],
  [/_preload_libraries$/, 'it loads shared libraries (native code) into the server'],
  [/_library$/, 'it loads a shared library (native code) into the server'],
  [/_file$/, 'it names a file on the server'],
  [/_keyfile$/, 'it names a file on the server'],
  [/_(directory|directories|dir)$/, 'it names a directory on the server'],
  [/^unix_socket_/, 'opsflow sets up the server\'s sockets'],
  [/^recovery_target/, 'a recovery target stops WAL replay at a point (data loss on a standby); opsflow has no point-in-time recovery yet'],
  [/^archive_/, 'archiving is run by the operator'],
];

const falseWords = new Set(['off', 'false', 'no', '0', 'of', 'f', 'fa', 'fal', 'fals', 'n']);
const isOff = (v: string) => falseWords.has(v.trim().toLowerCase());

// Refused only with a harmful value.
const byValue: Record<string, (v: string) => string | undefined> = {
  hot_standby: (v) => (isOff(v) ? 'off stops standbys from accepting connections (the sync check and readers need them)' : undefined),
  wal_level: (v) => (v.trim().toLowerCase() === 'minimal' ? 'minimal disables streaming replication; the standbys would not start' : undefined),
  fsync: (v) => (isOff(v) ? 'off loses data on a crash' : undefined),
  full_page_writes: (v) => (isOff(v) ? 'off corrupts data on a crash' : undefined),
  zero_damaged_pages: (v) => (isOff(v) ? undefined : 'on silently destroys damaged data'),
  ignore_checksum_failure: (v) => (isOff(v) ? undefined : 'on hides data corruption'),
  ignore_invalid_pages: (v) => (isOff(v) ? undefined : 'on hides data corruption during recovery'),
  allow_system_table_mods: (v) => (isOff(v) ? undefined : 'on allows changes that can corrupt the system catalogs'),
};

/** Why a parameter may not be set to this value, or undefined when it may. */
export function refusalOf(name: string, value: string): string | undefined {
  const n = name.toLowerCase();
  const last = n.slice(n.lastIndexOf('.') + 1);
  if (n === last && exact[n]) return exact[n];
  for (const [re, why] of patterns) if (re.test(last)) return why;
  return n === last ? byValue[n]?.(value) : undefined;
}

/** Every refused parameter of a set, in name order. */
export function refusedParams(params: Record<string, string>): Refusal[] {
  return Object.keys(params).sort().flatMap((parameter) => {
    const why = refusalOf(parameter, params[parameter] ?? '');
    return why ? [{ parameter, why }] : [];
  });
}

/** The problems in the form `<field>: <parameter> is not allowed: <why>`. */
export function policyProblems(params: Record<string, string>, field: string): string[] {
  return refusedParams(params).map((r) => `${field}: ${r.parameter} is not allowed: ${r.why}`);
}
