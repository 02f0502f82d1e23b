// Postgres RotateAuth end to end via `kubectl apply` (watcher and worker as processes, real Postgres,
// one database for every case): a generated password, then one from spec.authentication.secretRef,
// while a consumer loop logs in the whole time with what the Secret says (re-reading it after an
// authentication failure, trying password then password.prev): zero failed logins, no Pod restarted,
// the standbys' WAL receivers never reconnect, and a forced reconnect uses the new password. Refused
// requests change nothing. The worker SIGKILLed after the Secret write and again right after ALTER
// ROLE: Successful, the Secret and the role agree. No password in any history, status, event or log.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { historyText } from '../support/proxysql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

type Data = Record<string, string>;

describe('Postgres RotateAuth via kubectl apply (real Postgres)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let env: { temporalAddress: string; taskQueue: string; namespace: string };
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess | undefined;
  const logFiles: string[] = [];
  const passwords = new Set<string>();
  const requests: string[] = [];
  let keepRestarting = true;

  const secret = async (name: string): Promise<{ data: Data; rv: string }> => {
    const s = await clients().core.readNamespacedSecret({ name, namespace: ns.name });
    return { data: Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])), rv: s.metadata?.resourceVersion ?? '' };
  };
  const podIp = async (pod: string) => (await clients().core.readNamespacedPod({ name: pod, namespace: ns.name })).status?.podIP ?? '';
  /** Logs in and runs one query; the error's SQLSTATE (28P01: wrong password) on failure. */
  async function login<T extends pg.QueryResultRow>(pod: string, password: string, sql = 'SELECT 1 AS one'): Promise<T[] | { code: string }> {
    const c = new pg.Client({ host: await podIp(pod), port: 5432, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 5000 });
    try {
      await c.connect();
      return (await c.query<T>(sql)).rows;
    } catch (e) {
      return { code: (e as { code?: string }).code ?? String(e) };
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  const rows = async <T extends pg.QueryResultRow>(pod: string, sql: string) => {
    const r = await login<T>(pod, (await secret('ra-auth')).data.password ?? '', sql);
    assert.ok(Array.isArray(r), `${pod}: ${JSON.stringify(r)}`);
    return r;
  };

  /** A consumer: keeps its password until a login fails, then re-reads the Secret (password, then password.prev). */
  function consumer(pods: string[]) {
    let stop = false;
    let cached = '';
    const stats = { logins: 0, fallbacks: 0, failed: [] as string[] };
    const done = (async () => {
      for (let i = 0; !stop; i++) {
        const pod = pods[i % pods.length] ?? '';
        let r = cached ? await login(pod, cached) : { code: '28P01' };
        if (!Array.isArray(r) && r.code === '28P01') {
          const { data } = await secret('ra-auth');
          for (const p of [data.password, data['password.prev']]) {
            if (!p) continue;
            r = await login(pod, p);
            if (Array.isArray(r)) {
              if (p !== data.password) stats.fallbacks++;
              cached = p;
              break;
            }
          }
        }
        if (Array.isArray(r)) stats.logins++;
        else stats.failed.push(`${new Date().toISOString()} ${pod} ${r.code}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    return { stats, stop: async () => { stop = true; await done; return stats; } };
  }

  const receivers = async () => Object.fromEntries(await Promise.all(['ra-1'].map(async (p) => [p, (await rows<{ pid: number; status: string }>(p, 'SELECT pid, status FROM pg_stat_wal_receiver'))[0]])));
  const streaming = () => eventually('ra-1 streams from ra-0', async () => {
    const r = await rows<{ application_name: string; state: string }>('ra-0', 'SELECT application_name, state FROM pg_stat_replication');
    return r.some((x) => x.application_name === 'ra-1' && x.state === 'streaming') ? true : undefined;
  }, 60_000, 500);
  const restartCounts = async () => Object.fromEntries((await clients().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=ra' })).items
    .map((p) => [p.metadata?.name, p.status?.containerStatuses?.[0]?.restartCount ?? 0]));

  const rotate = (name: string, source?: string) => {
    requests.push(name);
    return kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name },
      spec: { type: 'RotateAuth', databaseRef: { name: 'ra' }, timeout: '2m', ...(source ? { authentication: { secretRef: { name: source } } } : {}) },
    }));
  };
  const userSecret = (name: string, data: Data) => clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, type: 'kubernetes.io/basic-auth', stringData: data } });

  /** A RotateAuth under a consumer loop: Successful, no failed login, no Pod restarted or WAL receiver reconnected. */
  async function rotateUnderLoad(name: string, source?: string, opts: { workerRestarts?: boolean } = {}) {
    const before = await secret('ra-auth');
    passwords.add(before.data.password ?? '');
    const uids = await watchPodUids(ns.name, 'app.kubernetes.io/instance=ra');
    const counts = await restartCounts();
    const recv = await receivers();
    const loop = consumer(['ra-0', 'ra-1']);
    await eventually('the consumer logged in', async () => (loop.stats.logins > 0 ? true : undefined), 10_000, 100);
    const t0 = Date.now();
    await rotate(name, source);
    const ops = await o.successful('PostgresOpsRequest', name, 300_000);
    const took = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const stats = await loop.stop();
    await uids.stop();
    const after = await secret('ra-auth');
    const next = after.data.password ?? '';
    passwords.add(next);
    process.stdout.write(`      ${name}: ${took} ms, ${stats.logins} logins, ${stats.fallbacks} via password.prev, ${stats.failed.length} failed\n`);
    assert.deepEqual(stats.failed, [], 'no failed login while rotating');
    assert.ok(stats.logins >= 10, `${stats.logins} logins`);
    assert.notEqual(next, before.data.password);
    assert.equal(after.data['password.prev'], before.data.password, 'the previous password is kept as password.prev');
    assert.equal(after.data['username.prev'], 'postgres');
    for (const pod of ['ra-0', 'ra-1']) {
      assert.ok(Array.isArray(await login(pod, next)), `${pod}: the new password logs in`);
      assert.deepEqual(await login(pod, before.data.password ?? ''), { code: '28P01' }, `${pod}: the old one no longer does`);
      assert.equal(uids.uids(pod).length, 1, `${pod} was not replaced`);
    }
    if (!opts.workerRestarts) assert.deepEqual(await receivers(), recv, 'the WAL receiver kept its connection');
    assert.deepEqual(await restartCounts(), counts, 'no container restarted');
    await streaming();
    return { ops, next };
  }

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-ra');
    o = objects(ns.name);
    env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-ra'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    logFiles.push(watcher.logFile, worker.logFile);
    await o.readyPostgres('ra', '16.13', 2);
    await streaming();
  });
  after(async () => {
    keepRestarting = false;
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  it('a generated password: no failed login, no restart; a WAL receiver that reconnects uses the new password', async () => {
    const { next } = await rotateUnderLoad('rotate-generated');
    assert.match(next, /^[A-Za-z0-9_-]{32}$/, 'a generated password (24 random bytes)');
    assert.match(await kubectl(['get', 'pgops', 'rotate-generated', '-n', ns.name]), /rotate-generated\s+RotateAuth\s+Successful/);
    // The walsender ends: the standby reconnects with its passfile, which now holds the new password.
    const pid = (await receivers())['ra-1']?.pid;
    await rows('ra-0', "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'ra-1'");
    await eventually('ra-1 reconnected and streams', async () => {
      const r = (await receivers())['ra-1'];
      return r && r.pid !== pid && r.status === 'streaming' ? true : undefined;
    }, 60_000, 250);
    await streaming();
  });

  it('a password from spec.authentication.secretRef', async () => {
    const given = 'from-a-Secret: with \\ and \' inside';
    await userSecret('new-pw', { username: 'postgres', password: given });
    const { next } = await rotateUnderLoad('rotate-from-secret', 'new-pw');
    assert.equal(next, given);
  });

  it('refused, naming the field, and nothing changed: a missing key, an empty one, the same password, another user; SingleStore and ProxySQL', async () => {
    const current = (await secret('ra-auth')).data.password ?? '';
    await userSecret('no-key', { username: 'postgres' });
    await userSecret('empty', { password: '' });
    await userSecret('same', { password: current });
    await userSecret('other-user', { username: 'bob', password: 'a-fine-new-password' });
    const before = await secret('ra-auth');
    const cases: Array<[string, string, RegExp]> = [
      ['refuse-no-key', 'no-key', /^spec\.authentication\.secretRef\.name \(Secret "no-key"\): the key "password" is missing or empty/],
      ['refuse-empty', 'empty', /^spec\.authentication\.secretRef\.name \(Secret "empty"\): the key "password" is missing or empty/],
      ['refuse-same', 'same', /^spec\.authentication\.secretRef\.name: Secret "same" holds the password the database already uses/],
      ['refuse-user', 'other-user', /username is "bob" but the database's user is "postgres"/],
      ['refuse-missing', 'no-such-secret', /^spec\.authentication\.secretRef\.name: Secret "no-such-secret" not found/],
    ];
    for (const [name, source] of cases) await rotate(name, source);
    for (const [name, , message] of cases) {
      const r = await o.finished('PostgresOpsRequest', name, 120_000);
      assert.equal(r.status?.phase, 'Failed', name);
      assert.match(r.status?.message ?? '', message, name);
    }
    assert.equal((await secret('ra-auth')).rv, before.rv, 'the auth Secret was not written');
    assert.ok(Array.isArray(await login('ra-0', current)), 'the password still logs in');
    for (const [kind, ref, msg] of [['SingleStoreOpsRequest', 'databaseRef', /spec\.type: RotateAuth is not supported for SingleStore/], ['ProxySQLOpsRequest', 'proxyRef', /spec\.type: RotateAuth is not supported for ProxySQL/]] as const) {
      await assert.rejects(kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({ apiVersion: 'opsflow.dev/v1alpha1', kind, metadata: { name: 'rotate' }, spec: { type: 'RotateAuth', [ref]: { name: 'x' } } })),
        (e: Error) => msg.test(e.message), kind);
    }
  });

  it('the worker SIGKILLed after the Secret write and right after ALTER ROLE: Successful, the Secret and the role agree', async () => {
    await worker?.stop();
    const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
    const failEnv = { OPSFLOW_FAILPOINTS: 'rotateAuth-before-alter,rotateAuth-after-alter', OPSFLOW_FAILPOINTS_DIR: fired };
    let starts = 0;
    const startWorker = () => {
      const w = startOpsflowProcess('worker', env, `worker-crash-${++starts}`, failEnv);
      logFiles.push(w.logFile);
      w.child.once('exit', () => { if (keepRestarting && worker === w) worker = startWorker(); });
      return w;
    };
    worker = startWorker();
    const { next } = await rotateUnderLoad('rotate-crash', undefined, { workerRestarts: true });
    assert.deepEqual(readdirSync(fired).sort(), ['rotateAuth-after-alter', 'rotateAuth-before-alter']);
    assert.ok(starts >= 3, `${starts} worker processes`);
    const verifier = await rows<{ ok: boolean }>('ra-0', "SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' AS ok FROM pg_authid WHERE rolname = 'postgres'");
    assert.equal(verifier[0]?.ok, true, 'the role holds a SCRAM verifier');
    assert.ok(Array.isArray(await login('ra-1', next)), 'the Secret\'s password logs in on the standby');
  });

  it('no password in any workflow history, OpsRequest status, Event, or the worker and watcher logs', async () => {
    const client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
    const texts: Array<[string, string]> = [];
    try {
      for (const name of requests) {
        const r = await o.ops(name);
        texts.push([`${name} status`, JSON.stringify(r.status)]);
        texts.push([`${name} history`, historyText(await client.workflow.getHandle(r.status?.workflow?.id ?? '').fetchHistory()).join('\n')]);
      }
    } finally {
      await client.connection.close();
    }
    const events = await clients().core.listNamespacedEvent({ namespace: ns.name });
    texts.push(['events', JSON.stringify(events.items.map((e) => [e.reason, e.message]))]);
    for (const f of logFiles) texts.push([f, readFileSync(f, 'utf8')]);
    assert.ok(passwords.size >= 4, `${passwords.size} passwords`);
    for (const [where, text] of texts) for (const p of passwords) assert.ok(!text.includes(p), `a password appears in ${where}`);
  });
});
