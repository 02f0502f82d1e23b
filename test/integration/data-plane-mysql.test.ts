// The local data plane (devenv/runtime/pods.ts) behind a SingleStore and a ProxySQL made by the real
// provisioner: each Pod runs a SIMULATED server (devenv/runtime/mysql-sim) as a real process on its
// Pod IP, and opsflow's own probes talk to it over the MySQL protocol (mysql2) with the credentials of
// the database's auth Secret. The SingleStore leaves register with the master aggregator (found
// through MASTER_HOSTADDR); the ProxySQL members find each other through the peers file the runtime
// keeps in their data directories. A deleted leaf comes back online; a killed server is restarted; a
// restarted runtime adopts the servers and keeps the peers files up to date. Needs a running runtime
// (npm test starts it); without one every test fails saying so.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import mysql from 'mysql2/promise';
import { API_VERSION, GROUP, VERSION } from '../../src/api/common.ts';
import { kindInfo } from '../../src/api/kinds.ts';
import { checksumsAgree, proxysqlVersion } from '../../src/engines/proxysql/probe.ts';
import { clusterHealth, memsqlVersion } from '../../src/engines/singlestore/probe.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { sleep } from '../../devenv/process.ts';
import { runtimeRunning } from '../../devenv/runtime/daemon.ts';
import { simMain } from '../../devenv/runtime/mysql-sim/launch.ts';
import { cidrHosts, defaultPodsDir, runtimeInfo } from '../../devenv/runtime/pods.ts';
import { cmdline, procStat, sameProcessAlive } from '../../devenv/runtime/procfs.ts';
import { clients, eventually, isReady, kubeConfig, tempNamespace } from '../support/kube.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { recordApplied } from '../../src/k8s/applied-state.ts';
import { restartRuntime } from '../support/runtime.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { withConn } from '../support/proxysql.ts';

/** Fails (does not skip) with what to do when the runtime is not there. */
async function requireRuntime(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (runtimeRunning() && !runtimeInfo() && Date.now() < deadline) await sleep(200);
  if (!runtimeRunning() || !runtimeInfo()) {
    throw new Error(`the local pod runtime is not running (no live ${join(defaultPodsDir(), 'runtime.json')}): run the tests with \`npm test\`, ` +
      'or `npm run infra:up`; a runtime started from older code must be stopped first: kill $(cat <state>/opsflow.runtime.pid)');
  }
}

/** The process the runtime records for a Pod's container (state.json), with its environment. */
function containerProcess(pod: V1Pod, container: string): { pid: number; startTime: number; env: Record<string, string> } {
  const info = runtimeInfo();
  assert.ok(info, 'the runtime runs');
  const state = JSON.parse(readFileSync(join(info.podsDir, pod.metadata?.uid ?? '', 'state.json'), 'utf8')) as {
    containers: Record<string, { proc?: { pid: number; startTime: number } }>;
  };
  const proc = state.containers[container]?.proc;
  assert.ok(proc, `${pod.metadata?.name}: a process is recorded for container ${container}`);
  const env = Object.fromEntries(readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
  return { pid: proc.pid, startTime: proc.startTime, env };
}

describe('local data plane: simulated SingleStore and ProxySQL Pods as processes (runtime, provisioner, mysql2)', function () {
  this.timeout(300_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner | undefined;
  const creds: Record<string, { user: string; password: string }> = {};
  const podNames = ['sdb-aggregator-0', 'sdb-leaf-0', 'sdb-leaf-1', 'prx-0', 'prx-1', 'prx-2'];

  before(async () => {
    await requireRuntime();
    await installCrdsAndCatalog();
    ns = await tempNamespace('dpm');
    provisioner = await startProvisioner(ns.name);
  });
  after(async () => {
    await provisioner?.stop();
    await ns?.remove();
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !ns) return;
    for (const p of podNames) {
      const out = await kubectl(['logs', '-n', ns.name, p, '--tail', '20']).catch((e: unknown) => String(e));
      process.stderr.write(`[data plane mysql] kubectl logs ${p}:\n${out}\n`);
    }
  });

  const { core, custom } = clients();
  const create = (kind: string, name: string, spec: Record<string, unknown>) => custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: kindInfo(kind).plural, namespace: ns.name, body: { apiVersion: API_VERSION, kind, metadata: { name }, spec },
  });
  const phase = (kind: string, name: string, want: string) => eventually(`${kind} ${name} phase ${want}`, async () => {
    const db = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: kindInfo(kind).plural, namespace: ns.name, name })) as { status?: { phase?: string } };
    return db.status?.phase === want ? db : undefined;
  }, 120_000, 250);
  const authOf = async (db: string) => {
    const auth = await eventually(`the ${db}-auth Secret`, () => core.readNamespacedSecret({ name: `${db}-auth`, namespace: ns.name }).catch(() => undefined));
    const dec = (k: string) => Buffer.from(auth.data?.[k] ?? '', 'base64').toString();
    return { user: dec('username'), password: dec('password') };
  };
  const getPod = (name: string) => core.readNamespacedPod({ name, namespace: ns.name });
  const readyPod = (name: string, notUid?: string, timeoutMs = 120_000) => eventually(`${name} Ready${notUid ? ' (a new one)' : ''}`, async () => {
    const p = await getPod(name);
    return isReady(p) && !p.metadata?.deletionTimestamp && p.metadata?.uid !== notUid ? p : undefined;
  }, timeoutMs, 200);
  const ipOf = (p: V1Pod) => p.status?.podIP ?? '';
  const dataDir = async (pod: string) => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: `data-${pod}`, namespace: ns.name });
    const pv = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
    return pv.spec?.hostPath?.path ?? '';
  };
  const sdb = <T>(pod: V1Pod, f: (c: mysql.Connection) => Promise<T>) => withConn(ipOf(pod), 3306, creds.sdb ?? { user: '', password: '' }, f);
  const leaves = ['sdb-leaf-0', 'sdb-leaf-1'];
  /** The master's view, once it has both leaves online and no other problem. */
  const healthy = async () => {
    const master = await getPod('sdb-aggregator-0');
    let last: string[] = ['not asked yet'];
    return eventually('the master aggregator to see both leaves online', async () => {
      const h = await sdb(master, (c) => clusterHealth(c, leaves, { expectedAggregators: ['sdb-aggregator-0'], expectedVersion: '8.7.10' }));
      last = h.problems;
      return h.problems.length === 0 ? h : undefined;
    }, 30_000, 250).catch((e: unknown) => { throw new Error(`${String(e)}; last problems: ${last.join('; ')}`); });
  };
  const proxyAdmins = async <T>(names: string[], f: (c: Record<string, mysql.Connection>) => Promise<T>): Promise<T> => {
    const conns: Record<string, mysql.Connection> = {};
    try {
      for (const n of names) conns[n] = await mysql.createConnection({ host: ipOf(await getPod(n)), port: 6032, ...creds.prx, connectTimeout: 5000 });
      return await f(conns);
    } finally {
      await Promise.all(Object.values(conns).map((c) => c.end().catch(() => c.destroy())));
    }
  };
  const agree = (names: string[]) => {
    let last: string[] = ['not asked yet'];
    return eventually(`the checksums of ${names.join(', ')} to agree`, async () => {
      last = await proxyAdmins(names, (c) => checksumsAgree(c));
      return last.length === 0 ? true : undefined;
    }, 30_000, 250).catch((e: unknown) => { throw new Error(`${String(e)}; last problems: ${last.join('; ')}`); });
  };
  /** What every member's peers.json should say: each member's DNS name with its Pod IP. */
  const expectedPeers = async (names: string[]) => Object.fromEntries(await Promise.all(names.map(async (n) => [`${n}.prx-pods.${ns.name}.svc`, ipOf(await getPod(n))] as const)));
  const peersFile = async (pod: string) => JSON.parse(readFileSync(join(await dataDir(pod), 'peers.json'), 'utf8')) as Record<string, string>;

  it('a SingleStore (1 aggregator, 2 leaves): a simulated server per Pod on its IP reports 8.7.10; the master sees both leaves online', async () => {
    await create('SingleStore', 'sdb', { version: '8.7.10', topology: { aggregator: { replicas: 1 }, leaf: { replicas: 2 } } });
    creds.sdb = await authOf('sdb');
    await phase('SingleStore', 'sdb', 'Ready');
    const pods = await Promise.all(['sdb-aggregator-0', ...leaves].map((n) => readyPod(n)));
    const ips = new Set<string>();
    for (const p of pods) {
      const name = p.metadata?.name ?? '';
      const node = await core.readNode({ name: p.spec?.nodeName ?? '' });
      assert.ok(cidrHosts(node.spec?.podCIDR ?? '').includes(ipOf(p)), `${name}'s IP ${ipOf(p)} is in ${node.metadata?.name}'s podCIDR`);
      ips.add(ipOf(p));
      // The container is the simulated server's process, configured by the runtime.
      const proc = containerProcess(p, 'singlestore');
      assert.ok(cmdline(proc.pid).includes(simMain), `${name}: pid ${proc.pid} runs ${simMain}`);
      assert.equal(procStat(proc.pid)?.pgrp, proc.pid, `${name}: the server leads its own process group (the container)`);
      assert.equal(proc.env.SIM_KIND, 'singlestore');
      assert.equal(proc.env.SIM_HOST, ipOf(p));
      assert.equal(proc.env.SIM_STATE_DIR, await dataDir(name), `${name}: SIM_STATE_DIR is the data PV's directory`);
      assert.ok(proc.env.SIM_CONFIG_DIR, `${name}: SIM_CONFIG_DIR is set (the config volume)`);
      assert.equal(proc.env.NODE_ROLE, name.includes('-leaf-') ? 'leaf' : 'aggregator');
      assert.equal(proc.env.MASTER_HOSTADDR, ipOf(pods[0] as V1Pod), `${name}: MASTER_HOSTADDR is the master's Pod IP`);
      assert.equal(await sdb(p, (c) => memsqlVersion(c)), '8.7.10', name);
      const [rows] = await sdb(p, (c) => c.query('SELECT @@version_comment AS comment'));
      assert.deepEqual(rows, [{ comment: 'opsflow simulated SingleStore' }]);
    }
    assert.equal(ips.size, 3, 'three distinct Pod IPs');
    const h = await healthy();
    assert.deepEqual(h.leaves.map((l) => [l.host.split('.')[0], l.state]).sort(), [['sdb-leaf-0', 'online'], ['sdb-leaf-1', 'online']]);
    assert.deepEqual(h.aggregators.map((a) => [a.host.split('.')[0], a.master, a.state]), [['sdb-aggregator-0', true, 'online']]);
    // `kubectl logs` shows the server's own output, which says it is simulated.
    const logs = await eventually('sdb-leaf-0\'s log', async () => {
      const l = await kubectl(['logs', '-n', ns.name, 'sdb-leaf-0']);
      return /registered with the master aggregator/.test(l) ? l : undefined;
    }, 15_000, 250);
    assert.match(logs, /SIMULATED SingleStore listening/);
    const events = await core.listNamespacedEvent({ namespace: ns.name });
    assert.ok(events.items.some((e) => e.reason === 'Started' && e.involvedObject.name === 'sdb-leaf-0' && /SIMULATED SingleStore 8\.7\.10/.test(e.message ?? '')),
      'the Started event says the server is simulated');
  });

  it('a ProxySQL with 3 replicas: every admin port reports 2.6.3, the checksums agree, each peers.json lists every member', async () => {
    await create('ProxySQL', 'prx', { version: '2.6.3', replicas: 3 });
    creds.prx = await authOf('prx');
    await phase('ProxySQL', 'prx', 'Ready');
    const names = ['prx-0', 'prx-1', 'prx-2'];
    const pods = await Promise.all(names.map((n) => readyPod(n)));
    assert.equal(new Set(pods.map(ipOf)).size, 3, 'three distinct Pod IPs');
    await proxyAdmins(names, async (c) => {
      for (const [name, conn] of Object.entries(c)) assert.equal(await proxysqlVersion(conn), '2.6.3', name);
    });
    await agree(names);
    const want = await expectedPeers(names);
    for (const n of names) {
      assert.equal(containerProcess(await getPod(n), 'proxysql').env.SIM_KIND, 'proxysql');
      assert.deepEqual(await eventually(`${n}'s peers.json`, async () => {
        const f = await peersFile(n);
        return JSON.stringify(f) === JSON.stringify(want) ? f : undefined;
      }, 10_000, 250).catch(async () => peersFile(n)), want, `${n}'s peers.json`);
    }
    // And the members took it: proxysql_servers is every member on the admin port.
    await eventually('every member\'s proxysql_servers to list the three members', () => proxyAdmins(names, async (c) => {
      for (const conn of Object.values(c)) {
        const [rows] = await conn.query('SELECT hostname, port FROM runtime_proxysql_servers ORDER BY hostname');
        if (JSON.stringify(rows) !== JSON.stringify(Object.keys(want).sort().map((hostname) => ({ hostname, port: 6032 })))) return undefined;
      }
      return true;
    }), 15_000, 250);
  });

  it('a deleted leaf comes back (new UID) and is online again', async () => {
    const old = await getPod('sdb-leaf-1');
    const oldProc = containerProcess(old, 'singlestore');
    await core.deleteNamespacedPod({ name: 'sdb-leaf-1', namespace: ns.name });
    const fresh = await readyPod('sdb-leaf-1', old.metadata?.uid);
    assert.notEqual(fresh.metadata?.uid, old.metadata?.uid);
    assert.equal(sameProcessAlive(oldProc.pid, oldProc.startTime), false, 'the old Pod\'s server is gone');
    const proc = containerProcess(fresh, 'singlestore');
    assert.notEqual(proc.pid, oldProc.pid);
    assert.equal(await sdb(fresh, (c) => memsqlVersion(c)), '8.7.10');
    const h = await healthy();
    assert.equal(h.leaves.find((l) => l.host.startsWith('sdb-leaf-1.'))?.state, 'online');
    // The new server registered itself with the master: its output, read from the container's log
    // file (not through `kubectl logs`: kwok may lag in seeing the Logs object of a recreated Pod).
    const logs = await eventually('the new sdb-leaf-1 registered', async () => {
      const l = readFileSync(join(runtimeInfo()?.podsDir ?? '', fresh.metadata?.uid ?? '', 'logs', 'singlestore.log'), 'utf8');
      return /registered with the master aggregator \(ADD LEAF\)/.test(l) ? l : undefined;
    }, 15_000, 250);
    assert.match(logs, /SIMULATED SingleStore listening/);
  });

  it('a SIGKILLed ProxySQL member: NotReady, restarted in place (restartCount 1), Ready, checksums agree again', async () => {
    const before = await getPod('prx-1');
    const proc = containerProcess(before, 'proxysql');
    assert.equal(before.status?.containerStatuses?.[0]?.restartCount, 0);
    process.kill(proc.pid, 'SIGKILL');
    await eventually('prx-1 NotReady', async () => (isReady(await getPod('prx-1')) ? undefined : true), 15_000, 100);
    const after = await eventually('prx-1 restarted and Ready', async () => {
      const p = await getPod('prx-1');
      return isReady(p) && p.status?.containerStatuses?.[0]?.restartCount === 1 ? p : undefined;
    }, 60_000, 200);
    assert.equal(after.metadata?.uid, before.metadata?.uid, 'the same Pod');
    assert.equal(after.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137, 'the last state says SIGKILL');
    assert.notEqual(containerProcess(after, 'proxysql').pid, proc.pid, 'a new process');
    await agree(['prx-0', 'prx-1', 'prx-2']);
  });

  it('a restarted runtime adopts the servers (same processes, Pods stay Ready) and keeps the peers files up to date', async () => {
    const pods = await Promise.all(podNames.map(getPod));
    const procs = pods.map((p) => containerProcess(p, p.spec?.containers[0]?.name ?? ''));
    const restarts = pods.map((p) => p.status?.containerStatuses?.[0]?.restartCount);
    await restartRuntime(() => sleep(1_000));
    await sleep(6_000); // a resync and a few probe periods of the new runtime
    for (const [i, p] of pods.entries()) {
      const now = await getPod(p.metadata?.name ?? '');
      assert.equal(now.metadata?.uid, p.metadata?.uid);
      assert.ok(isReady(now), `${p.metadata?.name} Ready`);
      assert.equal(now.status?.containerStatuses?.[0]?.restartCount, restarts[i], `${p.metadata?.name} was not restarted`);
      const proc = procs[i];
      assert.ok(proc && sameProcessAlive(proc.pid, proc.startTime), `${p.metadata?.name}'s server ${proc?.pid} still runs`);
    }
    await healthy();
    // A new member: the adopted members' peers files get it, and the four agree. (A spec.replicas
    // edit alone becomes a HorizontalScaling OpsRequest; recording 4 as what runs, as that run's
    // resize step does, lets the provisioner scale the StatefulSet here, with no worker.)
    await recordApplied(makeKube(kubeConfig()), { kind: 'ProxySQL', namespace: ns.name, name: 'prx' }, (cur) => (cur ? { ...cur, replicas: { ...cur.replicas, 'spec.replicas': 4 } } : undefined));
    await custom.patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural: kindInfo('ProxySQL').plural, namespace: ns.name, name: 'prx', body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const names = ['prx-0', 'prx-1', 'prx-2', 'prx-3'];
    await readyPod('prx-3');
    const want = await expectedPeers(names);
    for (const n of names) {
      await eventually(`${n}'s peers.json to list prx-3`, async () => (JSON.stringify(await peersFile(n)) === JSON.stringify(want) ? true : undefined), 15_000, 250)
        .catch(async (e: unknown) => { throw new Error(`${String(e)}: ${JSON.stringify(await peersFile(n))} vs ${JSON.stringify(want)}`); });
    }
    await agree(names);
    assert.equal(await proxyAdmins(['prx-3'], (c) => proxysqlVersion(c['prx-3'] as mysql.Connection)), '2.6.3');
  });
});
