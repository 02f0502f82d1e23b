// RotateAuth test harness (one Postgres "ra" with 2 members): the auth Secret, logins as a consumer
// would, replication state, a RotateAuth under a login loop with its checks (no failed login, no
// Pod replaced or restarted), and the scan for passwords in histories, statuses, Events and logs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { clients, eventually } from './kube.ts';
import type { objects } from './ops.ts';
import { watchPodUids } from './pod-history.ts';
import { historyText } from './proxysql.ts';
import { temporalAddress } from './temporal.ts';

type Data = Record<string, string>;

export function rotateAuthHarness(namespace: string, o: ReturnType<typeof objects>) {
  const passwords = new Set<string>();
  const requests: string[] = [];
  const secret = async (name: string): Promise<{ data: Data; rv: string }> => {
    const s = await clients().core.readNamespacedSecret({ name, namespace: namespace });
    return { data: Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])), rv: s.metadata?.resourceVersion ?? '' };
  };
  const podIp = async (pod: string) => (await clients().core.readNamespacedPod({ name: pod, namespace: namespace })).status?.podIP ?? '';
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

  /**
   * A consumer logging in every 50 ms with what the Secret says: `cached` keeps its password until a
   * login fails, otherwise it reads the Secret before every login. After a refusal it reads the Secret
   * and tries password, then password.prev; both refused (ALTER ROLE committed between the two tries)
   * → it reads the Secret once more and tries again. Only a login that fails all of that counts.
   */
  function consumer(pods: string[], cached: boolean) {
    let stop = false;
    let held = '';
    const stats = { logins: 0, fallbacks: 0, secondReads: 0, failed: [] as string[] };
    const done = (async () => {
      for (let i = 0; !stop; i++) {
        const pod = pods[i % pods.length] ?? '';
        let r = cached && held ? await login(pod, held) : { code: '28P01' };
        for (let round = 0; round < 2 && !Array.isArray(r) && r.code === '28P01'; round++) {
          if (round === 1) stats.secondReads++;
          const { data } = await secret('ra-auth');
          for (const p of [data.password, data['password.prev']]) {
            if (!p) continue;
            r = await login(pod, p);
            if (Array.isArray(r)) {
              if (p !== data.password) stats.fallbacks++;
              held = p;
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
  const restartCounts = async () => Object.fromEntries((await clients().core.listNamespacedPod({ namespace: namespace, labelSelector: 'app.kubernetes.io/instance=ra' })).items
    .map((p) => [p.metadata?.name, p.status?.containerStatuses?.[0]?.restartCount ?? 0]));

  const rotate = (name: string, source?: string) => {
    requests.push(name);
    return kubectl(['apply', '-n', namespace, '-f', '-'], stringify({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name },
      spec: { type: 'RotateAuth', databaseRef: { name: 'ra' }, timeout: '2m', ...(source ? { authentication: { secretRef: { name: source } } } : {}) },
    }));
  };
  const userSecret = (name: string, data: Data) => clients().core.createNamespacedSecret({ namespace: namespace, body: { metadata: { name }, type: 'kubernetes.io/basic-auth', stringData: data } });

  /** A RotateAuth under a consumer loop: Successful, no failed login, no Pod restarted or WAL receiver reconnected. */
  async function rotateUnderLoad(name: string, source?: string, opts: { workerRestarts?: boolean } = {}) {
    const before = await secret('ra-auth');
    passwords.add(before.data.password ?? '');
    const uids = await watchPodUids(namespace, 'app.kubernetes.io/instance=ra');
    const counts = await restartCounts();
    const recv = await receivers();
    const loops = [consumer(['ra-0', 'ra-1'], true), consumer(['ra-1', 'ra-0'], false)];
    await eventually('the consumers logged in', async () => (loops.every((l) => l.stats.logins > 0) ? true : undefined), 10_000, 100);
    const t0 = Date.now();
    await rotate(name, source);
    const ops = await o.successful('PostgresOpsRequest', name, 300_000);
    const took = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const [kept, fresh] = await Promise.all(loops.map((l) => l.stop()));
    await uids.stop();
    const after = await secret('ra-auth');
    const next = after.data.password ?? '';
    passwords.add(next);
    for (const [label, stats] of [['keeps its password', kept], ['reads the Secret each time', fresh]] as const) {
      process.stdout.write(`      ${name}, a consumer that ${label}: ${took} ms, ${stats?.logins} logins, ${stats?.fallbacks} via password.prev, ${stats?.secondReads} needed a second read, ${stats?.failed.length} failed\n`);
      assert.deepEqual(stats?.failed, [], `no failed login while rotating (a consumer that ${label})`);
      assert.ok((stats?.logins ?? 0) >= 10, `${stats?.logins} logins`);
    }
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

  /** No password seen by this harness in any request's history or status, the namespace's Events, or these logs. */
  async function assertNoPasswords(logFiles: string[]): Promise<void> {
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
    const events = await clients().core.listNamespacedEvent({ namespace });
    texts.push(['events', JSON.stringify(events.items.map((e) => [e.reason, e.message]))]);
    for (const f of logFiles) texts.push([f, readFileSync(f, 'utf8')]);
    assert.ok(passwords.size >= 2, `${passwords.size} passwords`);
    for (const [where, text] of texts) for (const p of passwords) assert.ok(!text.includes(p), `a password appears in ${where}`);
  }

  return { passwords, requests, secret, login, rows, receivers, streaming, rotate, userSecret, rotateUnderLoad, assertNoPasswords };
}
