// The pg_upgrade --link marker of bootstrap.sh with real PostgreSQL processes (15 → 16): what the
// ops workflow's rollback decision reads (upgrade/link-state and the termination message), and that
// an old cluster whose linking started and did not finish is never started again, by either image.
// The linking failure is real: a relation file missing from the old cluster passes pg_upgrade
// --check and makes --link fail after it disabled the old cluster (global/pg_control.old).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pinnedPostgresVersion, postgresBinDir } from '../../devenv/postgres.ts';
import { query, runContainerScriptToEnd } from '../../devenv/postgres-process.ts';
import { bootstrap, LocalPods, type Pod } from '../support/local-pods.ts';
import { repoDir } from '../../devenv/paths.ts';

const copyOldBinaries = join(repoDir, 'src', 'engines', 'postgres', 'scripts', 'copy-old-binaries.sh');

/** A 127.1.<x> block (x in 150–199) whose first addresses have port 5432 free. */
async function freeSubnet(): Promise<string> {
  const free = (host: string) => new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port: 5432, exclusive: true }, () => server.close(() => resolve(true)));
  });
  for (const x of Array.from({ length: 50 }, (_, i) => 150 + i).sort(() => Math.random() - 0.5)) {
    const hosts = Array.from({ length: 10 }, (_, i) => `127.1.${x}.${i + 1}`);
    if ((await Promise.all(hosts.map(free))).every(Boolean)) return `127.1.${x}`;
  }
  throw new Error('no 127.1.150–199 block with port 5432 free');
}

describe('Postgres scripts: the pg_upgrade --link marker (bootstrap.sh, real processes)', function () {
  this.timeout(600_000);
  let pods: LocalPods | undefined;
  let failed = false;
  let v15 = '';
  let v16 = '';
  before(async () => {
    v15 = pinnedPostgresVersion(15);
    v16 = pinnedPostgresVersion(16);
    postgresBinDir(v15); // throws, saying how to install them, when missing
    postgresBinDir(v16);
    pods = new LocalPods(await freeSubnet());
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      if (pods) process.stderr.write(`[opsflow] link marker: container logs\n${pods.logs()}\n`);
    }
  });
  after(async () => { await pods?.cleanup(failed); });

  const termLog = (p: Pod) => join(p.dataDir, '..', 'termination-log');
  const env = (p: Pod) => ({ ...pods?.env(p, p), TERMINATION_LOG: termLog(p) });
  const linkState = (p: Pod) => readFileSync(join(p.dataDir, 'upgrade', 'link-state'), 'utf8');

  /** A stopped PostgreSQL 15 primary with a table, and the 15 binaries copied as the init container does. */
  async function oldPrimary(name: string, host: number): Promise<{ p: Pod; relfile: string }> {
    assert.ok(pods);
    const p = pods.pod(name, host);
    await pods.start(p, p, v15);
    await query(p.target, 'CREATE TABLE orders (id int PRIMARY KEY, item text)');
    await query(p.target, "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 200) g");
    const [r] = await query<{ path: string }>(p.target, "SELECT pg_relation_filepath('orders') AS path");
    await pods.stop(p);
    const copy = await runContainerScriptToEnd({ script: copyOldBinaries, version: v15, env: { DATA_DIR: p.dataDir }, logFile: join(p.dataDir, '..', 'copy.log') });
    assert.deepEqual(copy, { code: 0, signal: null });
    return { p, relfile: join(p.pgdata, r?.path ?? '') };
  }

  it('linking that started and failed: marker "interrupted", pg_control.old left as it is, neither image starts the old cluster', async () => {
    const { p, relfile } = await oldPrimary('pg-0', 1);
    rmSync(relfile); // pg_upgrade --check does not look at relation files; --link does, after disabling the old cluster
    const stderrFile = join(p.dataDir, '..', 'upgrade.stderr');
    const exit = await runContainerScriptToEnd({ script: bootstrap, version: v16, env: env(p), logFile: p.logFile, stderrFile }, 300_000);
    assert.equal(exit.code, 1, 'bootstrap.sh exits non-zero');
    const message = readFileSync(termLog(p), 'utf8');
    assert.match(message, /^opsflow-upgrade: interrupted 15 16$/m, 'the marker in the termination message');
    assert.match(message, /error while creating link for relation/, "pg_upgrade's reason");
    assert.match(linkState(p), /^interrupted 15 16 /);
    assert.ok(existsSync(join(p.pgdata, 'global', 'pg_control.old')) && !existsSync(join(p.pgdata, 'global', 'pg_control')), 'the old cluster stays disabled (not renamed back)');
    assert.ok(existsSync(join(p.dataDir, 'data.upgrade-16', 'PG_VERSION')), 'the new cluster is kept for a recovery by hand');

    // A rollback (the old image) and a retry (the new image) both refuse, saying why.
    for (const version of [v15, v16]) {
      rmSync(termLog(p), { force: true });
      const again = await runContainerScriptToEnd({ script: bootstrap, version, env: env(p), logFile: p.logFile, stderrFile }, 120_000);
      assert.equal(again.code, 1, `PostgreSQL ${version} refuses`);
      assert.match(readFileSync(stderrFile, 'utf8'), /started linking on .* and did not finish: refusing to start either cluster/);
      assert.match(readFileSync(termLog(p), 'utf8'), /^opsflow-upgrade: interrupted 15 16$/m);
      assert.ok(existsSync(join(p.pgdata, 'global', 'pg_control.old')), 'still untouched');
    }
  });

  it('a --link cut short before linking is retried; a finished one says "upgraded" in the termination message while postgres runs', async () => {
    assert.ok(pods);
    const { p } = await oldPrimary('other-0', 2);
    // What a crash during pg_upgrade's schema restore leaves: the marker says linking, pg_control is still in place.
    writeFileSync(join(p.dataDir, 'upgrade', 'link-state'), 'linking 15 16 2026-01-01T00:00:00Z\n');
    await pods.start(p, p, v16, { TERMINATION_LOG: termLog(p) });
    const [info] = await query<{ version: string; n: number }>(p.target, "SELECT current_setting('server_version') AS version, (SELECT count(*)::int FROM orders) AS n");
    assert.deepEqual(info, { version: v16, n: 200 });
    assert.match(readFileSync(p.logFile, 'utf8'), /cut short before linking: the PostgreSQL 15 data directory is intact/);
    assert.match(linkState(p), /^upgraded 15 16 /);
    assert.equal(readFileSync(termLog(p), 'utf8'), 'opsflow-upgrade: upgraded 15 16\n', 'reported if postgres ever exits');
  });
});
