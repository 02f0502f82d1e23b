// The SIMULATED SingleStore and ProxySQL servers (devenv/runtime/mysql-sim) as real processes on
// loopback IPs 127.1.252.x, probed with a real MySQL client (mysql2) through opsflow's own probes:
// SingleStore leaves register with the master, go offline when killed and come back when restarted;
// ProxySQL members agree on checksums, converge after a change on one member, and reject bad logins.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { tcpAnswers, waitFor } from '../../devenv/process.ts';
import { simCommand, simEnv } from '../../devenv/runtime/mysql-sim/launch.ts';
import { checksumsAgree, peerChecksums, peerViewProblems, proxysqlVersion, runtimeChecksums } from '../../src/engines/proxysql/probe.ts';
import { clusterHealth, memsqlVersion } from '../../src/engines/singlestore/probe.ts';

// Quotes, a colon and a backslash: the ADD LEAF statement's escaping must hold.
const ROOT_PASSWORD = `r00t'pa:ss\\"w`;
const ADMIN_PASSWORD = 'adm1n-s3cret';

interface SimPod { name: string; ip: string; port: number; image: string; env: Record<string, string>; child?: ChildProcess; log: string }

/** Simulated Pods as local processes, like the local pod runtime runs them. */
class SimPods {
  readonly root = mkdtempSync(join(tmpdir(), 'opsflow-mysql-sim-'));
  readonly pods = new Map<string, SimPod>();

  add(name: string, ip: string, port: number, image: string, env: Record<string, string>): SimPod {
    const p: SimPod = { name, ip, port, image, env, log: join(this.root, `${name}.log`) };
    this.pods.set(name, p);
    return p;
  }

  stateDir(p: SimPod): string {
    return join(this.root, p.name, 'data');
  }

  async start(p: SimPod, image = p.image): Promise<void> {
    if (await tcpAnswers(p.ip, p.port, 500)) throw new Error(`something already listens on ${p.ip}:${p.port}; stop it (this test uses 127.1.252.x)`);
    p.image = image;
    mkdirSync(this.stateDir(p), { recursive: true });
    const { command, args, cwd } = simCommand();
    const out = openSync(p.log, 'a');
    const env = simEnv({ image, ip: p.ip, podName: p.name, stateDir: this.stateDir(p), containerEnv: p.env });
    p.child = spawn(command, args, { cwd, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    const child = p.child;
    await waitFor(`${p.name} to listen on ${p.ip}:${p.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${p.name} exited with ${child.exitCode}:\n${this.tail(p)}`);
      return tcpAnswers(p.ip, p.port, 500);
    }, 30_000, 100).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${this.tail(p)}`);
    });
  }

  async stop(p: SimPod, signal: NodeJS.Signals): Promise<void> {
    const child = p.child;
    p.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  tail(p: SimPod): string {
    try {
      return readFileSync(p.log, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async cleanup(failed: boolean): Promise<void> {
    await Promise.all([...this.pods.values()].map((p) => this.stop(p, 'SIGKILL')));
    if (failed || process.env.OPSFLOW_KEEP_TEST_DIRS === '1') process.stderr.write(`[opsflow] mysql-sim test folder kept for inspection: ${this.root}\n`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

async function withConn<T>(ip: string, port: number, user: string, password: string, f: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: ip, port, user, password, connectTimeout: 5000 });
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

async function withConns<T>(targets: Array<{ name: string; ip: string }>, port: number, user: string, password: string, f: (c: Record<string, mysql.Connection>) => Promise<T>): Promise<T> {
  const conns: Record<string, mysql.Connection> = {};
  try {
    for (const t of targets) conns[t.name] = await mysql.createConnection({ host: t.ip, port, user, password, connectTimeout: 5000 });
    return await f(conns);
  } finally {
    await Promise.all(Object.values(conns).map((c) => c.end().catch(() => c.destroy())));
  }
}

async function rejects(p: Promise<unknown>, errno: number): Promise<void> {
  await assert.rejects(p, (e: { errno?: number; message?: string }) => {
    assert.equal(e.errno, errno, e.message);
    return true;
  });
}

describe('simulated SingleStore (mysql-sim)', function () {
  this.timeout(120_000);
  const pods = new SimPods();
  let failed = false;
  const master = pods.add('sdb-aggregator-0', '127.1.252.1', 3306, 'singlestore/node:alma-8.7.10', {});
  const leaves = ['sdb-leaf-0', 'sdb-leaf-1'].map((n, i) => pods.add(n, `127.1.252.${2 + i}`, 3306, 'singlestore/node:alma-8.7.10', {}));
  const clusterEnv = (role: string) => ({
    NODE_ROLE: role, MASTER_HOST: 'sdb-aggregator-0.sdb-pods.demo.svc', MASTER_HOSTADDR: master.ip, ROOT_USER: 'root', ROOT_PASSWORD,
  });
  master.env = clusterEnv('aggregator');
  for (const l of leaves) l.env = clusterEnv('leaf');
  const asRoot = <T>(ip: string, f: (c: mysql.Connection) => Promise<T>) => withConn(ip, 3306, 'root', ROOT_PASSWORD, f);
  const expected = leaves.map((l) => l.name);

  before(async () => {
    await pods.start(master);
    await Promise.all(leaves.map((l) => pods.start(l)));
  });
  afterEach(function () { if (this.currentTest?.state === 'failed') failed = true; });
  after(async () => { await pods.cleanup(failed); });

  it('SHOW LEAVES lists both leaves online, under their DNS names', async () => {
    let problems: string[] = ['not checked'];
    await waitFor('both leaves online', async () => {
      problems = (await asRoot(master.ip, (c) => clusterHealth(c, expected))).problems;
      return problems.length === 0;
    }, 20_000, 250).catch((e: unknown) => assert.fail(`${String(e)}: ${problems.join('; ')}`));
    const h = await asRoot(master.ip, (c) => clusterHealth(c, expected));
    assert.deepEqual(h.leaves.map((l) => [l.host, l.port, l.state]).sort(), [
      ['sdb-leaf-0.sdb-pods.demo.svc', 3306, 'online'],
      ['sdb-leaf-1.sdb-pods.demo.svc', 3306, 'online'],
    ]);
    assert.deepEqual(h.aggregators.map((a) => [a.host, a.state, a.master]), [['sdb-aggregator-0.sdb-pods.demo.svc', 'online', true]]);
    assert.equal(h.version, '8.7.10');
  });

  it('every node reports its image version and says it is simulated', async () => {
    for (const p of [master, ...leaves]) {
      await asRoot(p.ip, async (c) => {
        assert.equal(await memsqlVersion(c), '8.7.10', p.name);
        const [rows] = await c.query('SELECT @@version AS v, @@version_comment AS comment, 1 AS one');
        assert.deepEqual(rows, [{ v: '5.7.32', comment: 'opsflow simulated SingleStore', one: 1 }]);
      });
    }
  });

  it('a killed leaf goes offline within a few seconds and comes back online when restarted', async () => {
    const leaf = leaves[1];
    assert.ok(leaf);
    await pods.stop(leaf, 'SIGKILL');
    const killedAt = Date.now();
    let problems: string[] = [];
    await waitFor('the killed leaf offline', async () => {
      problems = (await asRoot(master.ip, (c) => clusterHealth(c, expected))).problems;
      return problems.includes('leaf sdb-leaf-1.sdb-pods.demo.svc:3306 is offline, not online');
    }, 15_000, 200);
    const took = Date.now() - killedAt;
    assert.ok(took < 8000, `offline only after ${took} ms`);
    assert.deepEqual(problems, ['leaf sdb-leaf-1.sdb-pods.demo.svc:3306 is offline, not online']);

    await pods.start(leaf);
    await waitFor('the restarted leaf online', async () => (await asRoot(master.ip, (c) => clusterHealth(c, expected))).problems.length === 0, 15_000, 200);
    assert.equal(await asRoot(leaf.ip, (c) => memsqlVersion(c)), '8.7.10');
  });

  it('SET GLOBAL persists across a restart; the master keeps its leaves; a restarted node reports its new image version', async () => {
    await asRoot(master.ip, (c) => c.query('SET GLOBAL max_connections = 4321'));
    await pods.stop(master, 'SIGTERM');
    await pods.start(master, 'singlestore/node:alma-8.9.3');
    await asRoot(master.ip, async (c) => {
      const [rows] = await c.query("SHOW VARIABLES LIKE 'max_connections'");
      assert.deepEqual(rows, [{ Variable_name: 'max_connections', Value: '4321' }]);
      const [v] = await c.query('SELECT @@max_connections AS m');
      assert.deepEqual(v, [{ m: 4321 }]);
      assert.equal(await memsqlVersion(c), '8.9.3');
    });
    await waitFor('leaves online after the master restarted', async () => (await asRoot(master.ip, (c) => clusterHealth(c, expected))).problems.length === 0, 15_000, 200);
  });

  it('rejects a wrong password, an unknown variable and statements it does not implement', async () => {
    await rejects(withConn(master.ip, 3306, 'root', 'wrong', (c) => c.query('SELECT 1')), 1045);
    await asRoot(leaves[0]?.ip ?? '', async (c) => {
      await rejects(c.query('SET GLOBAL no_such_variable = 1'), 1193);
      await rejects(c.query('CREATE DATABASE x'), 1064);
      await rejects(c.query('SHOW LEAVES'), 1706); // only aggregators answer it
    });
  });
});

describe('simulated ProxySQL (mysql-sim)', function () {
  this.timeout(120_000);
  const pods = new SimPods();
  let failed = false;
  const members = [0, 1, 2].map((n) => pods.add(`prx-${n}`, `127.1.252.${11 + n}`, 6032, 'proxysql/proxysql:2.6.3', { ADMIN_USER: 'admin', ADMIN_PASSWORD }));
  const peers = Object.fromEntries(members.map((m) => [`${m.name}.prx-pods.demo.svc`, m.ip]));
  const admin = <T>(f: (c: Record<string, mysql.Connection>) => Promise<T>) => withConns(members, 6032, 'admin', ADMIN_PASSWORD, f);
  const agree = () => admin((c) => checksumsAgree(c));

  before(async () => {
    for (const m of members) {
      // The peer-discovery contract: the runtime writes <state dir>/peers.json (and rewrites it when a member moves).
      mkdirSync(pods.stateDir(m), { recursive: true });
      writeFileSync(join(pods.stateDir(m), 'peers.json'), JSON.stringify(peers));
    }
    await Promise.all(members.map((m) => pods.start(m)));
  });
  afterEach(function () { if (this.currentTest?.state === 'failed') failed = true; });
  after(async () => { await pods.cleanup(failed); });

  it('every member reports its image version', async () => {
    await admin(async (c) => {
      for (const [name, conn] of Object.entries(c)) {
        assert.equal(await proxysqlVersion(conn), '2.6.3', name);
        const [rows] = await conn.query('SELECT @@version AS v');
        assert.deepEqual(rows, [{ v: '2.6.3' }]);
      }
    });
  });

  it('the members agree on their checksums, and see each other', async () => {
    assert.deepEqual(await agree(), []);
    await waitFor('every member to see every peer', async () => admin(async (c) => {
      for (const conn of Object.values(c)) {
        const view = await peerChecksums(conn);
        if (new Set(view.map((r) => r.hostname)).size !== 3 || peerViewProblems(view, { nowSec: Math.floor(Date.now() / 1000), expectedMembers: members.map((m) => m.name) }).length) return false;
      }
      return true;
    }), 20_000, 250);
    const names = (await admin((c) => runtimeChecksums(c['prx-0'] as mysql.Connection))).map((r) => r.name);
    assert.deepEqual(names, ['admin_variables', 'mysql_query_rules', 'mysql_servers', 'mysql_users', 'mysql_variables', 'proxysql_servers']);
  });

  it('a mysql_users change loaded to runtime on one member reaches the others; checksums agree again', async () => {
    const before = await admin((c) => runtimeChecksums(c['prx-0'] as mysql.Connection));
    await withConn(members[0]?.ip ?? '', 6032, 'admin', ADMIN_PASSWORD, async (c) => {
      await c.query("INSERT INTO mysql_users (username, password, default_hostgroup) VALUES ('app', 'app-pw', 10)");
      await c.query("UPDATE global_variables SET variable_value='3000' WHERE variable_name='mysql-max_connections'");
      await c.query('LOAD MYSQL USERS TO RUNTIME');
      await c.query('LOAD MYSQL VARIABLES TO RUNTIME');
      await c.query('SAVE MYSQL USERS TO DISK');
      await c.query('SAVE MYSQL VARIABLES TO DISK');
    });
    const right = await agree();
    assert.ok(right.some((p) => p.startsWith('mysql_users differs across members')), `expected a difference right after the change: ${right.join('; ')}`);
    let problems: string[] = [];
    await waitFor('the members to converge', async () => {
      problems = await agree();
      return problems.length === 0;
    }, 20_000, 250).catch((e: unknown) => assert.fail(`${String(e)}: ${problems.join('; ')}`));
    const after = await admin((c) => runtimeChecksums(c['prx-2'] as mysql.Connection));
    const sum = (rows: typeof before, n: string) => rows.find((r) => r.name === n)?.checksum;
    assert.notEqual(sum(after, 'mysql_users'), sum(before, 'mysql_users'));
    assert.notEqual(sum(after, 'mysql_variables'), sum(before, 'mysql_variables'));
    await withConn(members[2]?.ip ?? '', 6032, 'admin', ADMIN_PASSWORD, async (c) => {
      const [users] = await c.query('SELECT username, password, default_hostgroup FROM runtime_mysql_users');
      assert.deepEqual(users, [{ username: 'app', password: 'app-pw', default_hostgroup: 10 }]);
      const [v] = await c.query("SELECT variable_value FROM runtime_global_variables WHERE variable_name='mysql-max_connections'");
      assert.deepEqual(v, [{ variable_value: '3000' }]);
    });
    // The new user logs in on another member's proxy port.
    assert.deepEqual(await withConn(members[1]?.ip ?? '', 6033, 'app', 'app-pw', async (c) => (await c.query('SELECT 1 AS one'))[0]), [{ one: 1 }]);
  });

  it('a member restarted on a newer image keeps its (synced) config from disk and still agrees', async () => {
    const m = members[2];
    assert.ok(m);
    await pods.stop(m, 'SIGTERM');
    await pods.start(m, 'proxysql/proxysql:2.7.3');
    await withConn(m.ip, 6032, 'admin', ADMIN_PASSWORD, async (c) => {
      assert.equal(await proxysqlVersion(c), '2.7.3');
      const [users] = await c.query('SELECT username FROM runtime_mysql_users');
      assert.deepEqual(users, [{ username: 'app' }]);
    });
    let problems: string[] = [];
    await waitFor('checksums to agree after the restart', async () => (problems = await agree()).length === 0, 20_000, 250)
      .catch((e: unknown) => assert.fail(`${String(e)}: ${problems.join('; ')}`));
  });

  it('rejects a wrong password (admin and proxy port) and unknown statements and tables', async () => {
    const ip = members[0]?.ip ?? '';
    await rejects(withConn(ip, 6032, 'admin', 'wrong-password', (c) => c.query('SELECT 1')), 1045);
    await rejects(withConn(ip, 6033, 'app', 'wrong-password', (c) => c.query('SELECT 1')), 1045);
    await rejects(withConn(ip, 6033, 'admin', ADMIN_PASSWORD, (c) => c.query('SELECT 1')), 1045); // admin is not a mysql_users user
    await withConn(ip, 6032, 'admin', ADMIN_PASSWORD, async (c) => {
      await rejects(c.query('SELECT * FROM no_such_table'), 1146);
      await rejects(c.query('PROXYSQL RESTART'), 1064);
      await rejects(c.query('SELECT * FROM mysql_users WHERE'), 1064);
    });
  });
});
