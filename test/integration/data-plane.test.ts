// The local data plane (devenv/runtime/pods.ts) behind a Postgres made by the real provisioner:
// real PostgreSQL processes for the Pods, on IPs from their nodes' Pod CIDRs, with streaming
// replication; a deleted standby comes back on its own data; a killed postmaster is restarted like a
// kubelet would; a primary that comes back with another IP gets its standbys restarted with it (no
// cluster DNS here); a restarted runtime adopts the running processes. Needs the PostgreSQL binaries of
// infra/install-postgres.sh and a running runtime (npm test starts it); without them every test fails
// saying so.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeInformer, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION } from '../../src/api/common.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { pinnedPostgresVersion, postgresBinDir } from '../../devenv/postgres.ts';
import { query, type PgTarget } from '../../devenv/postgres-process.ts';
import { sleep } from '../../devenv/process.ts';
import { runtimeRunning } from '../../devenv/runtime/daemon.ts';
import { cidrHosts, defaultPodsDir, runtimeInfo } from '../../devenv/runtime/pods.ts';
import { sameProcessAlive, procStat, cmdline } from '../../devenv/runtime/procfs.ts';
import { clients, eventually, isReady, kubeConfig, tempNamespace } from '../support/kube.ts';
import { restartRuntime } from '../support/runtime.ts';
import { startProvisioner } from '../support/provisioner.ts';

/** Fails (does not skip) with what to do when the data plane cannot run here. */
async function requireDataPlane(): Promise<string> {
  let version: string;
  try {
    version = pinnedPostgresVersion(16);
    postgresBinDir(version);
  } catch (e) {
    throw new Error(`the local data plane needs the PostgreSQL binaries: ${e instanceof Error ? e.message : String(e)}`);
  }
  // `npm test` may have started the runtime a moment ago: give it time to list the cluster.
  const deadline = Date.now() + 30_000;
  while (runtimeRunning() && !runtimeInfo() && Date.now() < deadline) await sleep(200);
  if (!runtimeRunning() || !runtimeInfo()) {
    throw new Error(`the local pod runtime is not running (no live ${join(defaultPodsDir(), 'runtime.json')}): run the tests with \`npm test\`, ` +
      'or `npm run infra:up`; a runtime started from older code must be stopped first: kill $(cat <state>/opsflow.runtime.pid)');
  }
  return version;
}

/** The postmaster of a Pod: the process listening on the Pod's IP (it is the container's pid: the script exec'd postgres). */
function postmasterPid(ip: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const args = cmdline(Number(d));
    if (args[0] === 'postgres' && args.includes(`listen_addresses=${ip}`)) return Number(d);
  }
  return undefined;
}

describe('local data plane: Postgres Pods as real processes (runtime, kwok stages, provisioner)', function () {
  this.timeout(300_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner | undefined;
  let version = '';
  let creds: { user: string; password: string };

  before(async () => {
    version = await requireDataPlane();
    await installCrdsAndCatalog();
    ns = await tempNamespace('dp');
    provisioner = await startProvisioner(ns.name);
  });
  after(async () => {
    await provisioner?.stop();
    await ns?.remove();
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !ns) return;
    for (const p of ['pg-0', 'pg-1', 'pg-2']) {
      const out = await kubectl(['logs', '-n', ns.name, p, '--tail', '30']).catch((e: unknown) => String(e));
      process.stderr.write(`[data plane] kubectl logs ${p}:\n${out}\n`);
    }
  });

  const { core } = clients();
  const getPod = (name: string) => core.readNamespacedPod({ name, namespace: ns.name });
  const readyPod = (name: string, notUid?: string, timeoutMs = 120_000) => eventually(`${name} Ready${notUid ? ' (a new one)' : ''}`, async () => {
    const p = await getPod(name);
    return isReady(p) && !p.metadata?.deletionTimestamp && p.metadata?.uid !== notUid ? p : undefined;
  }, timeoutMs, 200);
  const target = (p: V1Pod): PgTarget => ({ host: p.status?.podIP ?? '', port: 5432, ...creds });
  const sql = async <R extends Record<string, unknown>>(pod: string, text: string, params: unknown[] = []) => query<R>(target(await getPod(pod)), text, params);
  const streaming = (min: string[]) => eventually(`${min.join(', ')} streaming from pg-0`, async () => {
    const rows = await sql<{ application_name: string; state: string }>('pg-0', 'SELECT application_name, state FROM pg_stat_replication');
    const s = new Set(rows.filter((r) => r.state === 'streaming').map((r) => r.application_name));
    return min.every((m) => s.has(m)) ? rows : undefined;
  }, 60_000, 250);
  /** Records every (ready, restartCount, uid) a Pod shows, from a watch (no transition is missed). */
  async function watchPod(name: string) {
    const seen: Array<{ ready: boolean; restarts: number; uid: string }> = [];
    const informer = makeInformer<V1Pod>(kubeConfig(), `/api/v1/namespaces/${ns.name}/pods`, () => core.listNamespacedPod({ namespace: ns.name }));
    const record = (p: V1Pod) => {
      if (p.metadata?.name !== name) return;
      seen.push({ ready: isReady(p), restarts: p.status?.containerStatuses?.[0]?.restartCount ?? 0, uid: p.metadata?.uid ?? '' });
    };
    informer.on('add', record);
    informer.on('update', record);
    await informer.start();
    return { seen, stop: () => informer.stop() };
  }

  it('a Postgres with 3 replicas: Pods on their nodes\' IPs, both standbys streaming, a row written on the primary read on a standby', async () => {
    await core.listNamespacedPod({ namespace: ns.name }); // the namespace answers
    await clients().custom.createNamespacedCustomObject({
      group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns.name,
      body: { apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: 'pg' }, spec: { version, replicas: 3 } },
    });
    const auth = await eventually('the auth Secret', () => core.readNamespacedSecret({ name: 'pg-auth', namespace: ns.name }).catch(() => undefined));
    const dec = (k: string) => Buffer.from(auth.data?.[k] ?? '', 'base64').toString();
    creds = { user: dec('username'), password: dec('password') };
    const pods = [await readyPod('pg-0'), await readyPod('pg-1'), await readyPod('pg-2')];

    const ips = new Set<string>();
    for (const p of pods) {
      const ip = p.status?.podIP ?? '';
      const node = await core.readNode({ name: p.spec?.nodeName ?? '' });
      assert.ok(cidrHosts(node.spec?.podCIDR ?? '').includes(ip), `${p.metadata?.name}'s IP ${ip} is in ${node.metadata?.name}'s podCIDR ${node.spec?.podCIDR}`);
      ips.add(ip);
      assert.equal(p.status?.phase, 'Running');
      assert.deepEqual(p.status?.podIPs?.map((x) => x.ip), [ip]);
      assert.equal(p.status?.containerStatuses?.[0]?.state?.running !== undefined, true);
      // The container's pid is the postmaster (bootstrap.sh exec'd postgres), listening on the Pod IP only.
      const pid = postmasterPid(ip);
      assert.ok(pid, `a postgres process listens on ${ip}`);
      assert.equal(procStat(pid)?.comm, 'postgres');
      assert.equal(procStat(pid)?.pgrp, pid, 'the postmaster leads its own process group (the container)');
    }
    assert.equal(ips.size, 3, 'three distinct Pod IPs');

    const rows = await streaming(['pg-1', 'pg-2']);
    assert.deepEqual(rows.map((r) => r.application_name).sort(), ['pg-1', 'pg-2']);
    await sql('pg-0', 'CREATE TABLE marks (id int PRIMARY KEY, note text)');
    await sql('pg-0', "INSERT INTO marks VALUES (1, 'written on the primary')");
    for (const standby of ['pg-1', 'pg-2']) {
      const r = await eventually(`the row on ${standby}`, async () => {
        const x = await sql<{ note: string }>(standby, 'SELECT note FROM marks WHERE id = 1').catch(() => []);
        return x.length ? x : undefined;
      }, 30_000, 250);
      assert.equal(r[0]?.note, 'written on the primary');
    }
    const [rec] = await sql<{ r: boolean }>('pg-1', 'SELECT pg_is_in_recovery() AS r');
    assert.equal(rec?.r, true, 'pg-1 is a standby');
    // kubectl logs reads the container's output through kwok's Logs objects.
    const logs = await kubectl(['logs', '-n', ns.name, 'pg-1']);
    assert.match(logs, /cloning from the primary/);
    assert.match(logs, /database system is ready to accept read-only connections/);
  });

  it('a deleted standby comes back (new UID) on its own data directory, without re-cloning, and streams again', async () => {
    const old = await getPod('pg-2');
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data-pg-2', namespace: ns.name });
    const pv = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
    const pgdata = join(pv.spec?.hostPath?.path ?? '', 'data');
    assert.ok(existsSync(join(pgdata, 'PG_VERSION')), `pg-2's data directory is the PV's ${pgdata}`);
    // A re-clone would replace the whole directory (bootstrap.sh clones into data.clone and moves it in).
    const marker = join(pgdata, 'opsflow-test-marker');
    writeFileSync(marker, old.metadata?.uid ?? '');
    const [before] = await sql<{ id: string }>('pg-2', 'SELECT system_identifier::text AS id FROM pg_control_system()');

    await core.deleteNamespacedPod({ name: 'pg-2', namespace: ns.name });
    const fresh = await readyPod('pg-2', old.metadata?.uid);
    assert.notEqual(fresh.metadata?.uid, old.metadata?.uid);
    assert.equal(readFileSync(marker, 'utf8'), old.metadata?.uid, 'the data directory is the same one (the marker is there)');
    const [after] = await sql<{ id: string }>('pg-2', 'SELECT system_identifier::text AS id FROM pg_control_system()');
    assert.equal(after?.id, before?.id);
    const logs = await eventually('the new pg-2\'s log', async () => {
      const l = await kubectl(['logs', '-n', ns.name, 'pg-2']);
      return /ready to accept read-only connections/.test(l) ? l : undefined;
    }, 10_000, 250);
    assert.match(logs, /PGDATA holds a PostgreSQL \d+ cluster: starting it/);
    assert.doesNotMatch(logs, /cloning from the primary/);
    await streaming(['pg-1', 'pg-2']);
    await sql('pg-0', "INSERT INTO marks VALUES (2, 'after the standby came back')");
    await eventually('row 2 on the new pg-2', async () => {
      const x = await sql<{ n: string }>('pg-2', 'SELECT count(*)::text AS n FROM marks').catch(() => []);
      return x[0]?.n === '2' ? true : undefined;
    }, 30_000, 250);
  });

  it('a SIGKILLed postmaster: the Pod goes NotReady, the process is restarted (restartCount 1), Ready again', async () => {
    const before = await getPod('pg-1');
    const pid = postmasterPid(before.status?.podIP ?? '');
    assert.ok(pid);
    assert.equal(before.status?.containerStatuses?.[0]?.restartCount, 0);
    const w = await watchPod('pg-1');
    try {
      process.kill(pid, 'SIGKILL');
      const after = await eventually('pg-1 restarted and Ready', async () => {
        const p = await getPod('pg-1');
        return isReady(p) && p.status?.containerStatuses?.[0]?.restartCount === 1 ? p : undefined;
      }, 60_000, 200);
      assert.ok(w.seen.some((s) => !s.ready && s.uid === before.metadata?.uid), `pg-1 was NotReady in between (seen: ${JSON.stringify(w.seen)})`);
      assert.equal(after.metadata?.uid, before.metadata?.uid, 'the same Pod (restarted in place, not recreated)');
      const last = after.status?.containerStatuses?.[0]?.lastState?.terminated;
      assert.equal(last?.exitCode, 137, 'the last state says SIGKILL');
      const newPid = postmasterPid(after.status?.podIP ?? '');
      assert.ok(newPid && newPid !== pid, 'a new postmaster');
      await streaming(['pg-1', 'pg-2']);
      // A restarted standby answers once consistent, maybe before it replayed all: wait for row 2.
      await eventually('both rows on the restarted pg-1', async () => {
        const x = await sql<{ n: string }>('pg-1', 'SELECT count(*)::text AS n FROM marks').catch(() => []);
        return x[0]?.n === '2' ? true : undefined;
      }, 30_000, 250);
    } finally {
      await w.stop();
    }
  });

  it('a primary recreated on another node (new IP): the standbys are restarted with its new address and stream again', async () => {
    const old = await getPod('pg-0');
    const standbys = await Promise.all(['pg-1', 'pg-2'].map(getPod));
    const node = old.spec?.nodeName ?? '';
    // No cluster DNS here: a standby knows the primary by IP (PRIMARY_HOSTADDR). Cordon the primary's
    // node so that its replacement lands elsewhere and gets an IP from another node's Pod CIDR.
    await core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    try {
      await core.deleteNamespacedPod({ name: 'pg-0', namespace: ns.name });
      const fresh = await readyPod('pg-0', old.metadata?.uid);
      assert.notEqual(fresh.spec?.nodeName, node);
      assert.notEqual(fresh.status?.podIP, old.status?.podIP, 'the new primary has another IP');
    } finally {
      await core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    for (const s of standbys) {
      const name = s.metadata?.name ?? '';
      const before = s.status?.containerStatuses?.[0]?.restartCount ?? 0;
      await eventually(`${name} restarted with the new primary address`, async () => {
        const p = await getPod(name);
        return isReady(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) === before + 1 ? p : undefined;
      }, 60_000, 200);
    }
    const events = await core.listNamespacedEvent({ namespace: ns.name });
    assert.ok(events.items.some((e) => e.reason === 'PeerAddressChanged' && e.involvedObject.name === 'pg-1'), 'an Event says why pg-1 restarted');
    await streaming(['pg-1', 'pg-2']);
    await sql('pg-0', "INSERT INTO marks VALUES (4, 'after the primary moved')");
    await eventually('row 4 on pg-2', async () => {
      const x = await sql<{ n: string }>('pg-2', 'SELECT count(*)::text AS n FROM marks WHERE id = 4').catch(() => []);
      return x[0]?.n === '1' ? true : undefined;
    }, 30_000, 250);
  });

  it('a restarted runtime adopts the running processes: Pods stay Ready, same postmasters, data intact', async () => {
    const pods = await Promise.all(['pg-0', 'pg-1', 'pg-2'].map(getPod));
    const pids = pods.map((p) => postmasterPid(p.status?.podIP ?? ''));
    const starts = pids.map((pid) => procStat(pid ?? 0)?.startTime ?? 0);
    const restarts = pods.map((p) => p.status?.containerStatuses?.[0]?.restartCount);
    const watches = await Promise.all(['pg-0', 'pg-1', 'pg-2'].map(watchPod));
    try {
      await restartRuntime(async () => {
        // With no runtime at all, the database keeps serving and replicating.
        await sql('pg-0', "INSERT INTO marks VALUES (5, 'while the runtime was down')");
        await sleep(2_000);
      });
      await sleep(6_000); // a resync and a few probe periods of the new runtime
      for (const [i, p] of pods.entries()) {
        const now = await getPod(p.metadata?.name ?? '');
        assert.equal(now.metadata?.uid, p.metadata?.uid);
        assert.ok(isReady(now), `${p.metadata?.name} Ready`);
        assert.equal(now.status?.containerStatuses?.[0]?.restartCount, restarts[i], `${p.metadata?.name} was not restarted`);
        assert.ok(sameProcessAlive(pids[i] ?? 0, starts[i] ?? 0), `${p.metadata?.name}'s postmaster ${pids[i]} still runs`);
        assert.equal(postmasterPid(now.status?.podIP ?? ''), pids[i]);
        assert.ok(watches[i]?.seen.every((s) => s.ready), `${p.metadata?.name} never NotReady (seen: ${JSON.stringify(watches[i]?.seen)})`);
      }
      let counts: unknown[] = [];
      await eventually('row 5 on both standbys', async () => {
        counts = await Promise.all(['pg-1', 'pg-2'].map((s) => sql<{ n: string }>(s, 'SELECT count(*)::text AS n FROM marks').then((r) => r[0]?.n, (e: unknown) => String(e))));
        return counts.every((x) => x === '4') ? true : undefined;
      }, 30_000, 250).catch((e: unknown) => { throw new Error(`${String(e)}; counts on pg-1, pg-2: ${JSON.stringify(counts)}`); });
      // And the new runtime is the kubelet now: it restarts a killed postmaster of an adopted Pod.
      process.kill(pids[2] ?? 0, 'SIGKILL');
      await eventually('pg-2 restarted by the new runtime', async () => {
        const p = await getPod('pg-2');
        return isReady(p) && p.status?.containerStatuses?.[0]?.restartCount === (restarts[2] ?? 0) + 1 ? p : undefined;
      }, 60_000, 200);
    } finally {
      await Promise.all(watches.map((w) => w.stop()));
    }
  });
});
