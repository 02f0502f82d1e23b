// Figures of the local data plane, from one run against the running local stack (`npm run infra:up`):
// how long a Postgres Pod takes from creation to Ready (primary: initdb; standby: pg_basebackup from
// the primary), how long a deleted standby takes until its replacement is Ready, and the memory of
// each Postgres Pod (its process tree: postmaster and its children; RSS summed, and PSS, which
// splits shared memory among the processes that map it).
//
//   node --import tsx bench/data-plane.ts [replicas=3]
//
// Times are observed through a watch in this process (the API's timestamps have 1 s resolution).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeInformer, type V1Pod } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION } from '../src/api/common.ts';
import { loadPostgresScripts } from '../src/engines/postgres/scripts.ts';
import { makeKube } from '../src/k8s/client.ts';
import { createLogger } from '../src/logger.ts';
import { Provisioner } from '../src/watcher/provisioner.ts';
import { kubeconfigPath } from '../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../devenv/crds.ts';
import { pinnedPostgresVersion, postgresBinDir } from '../devenv/postgres.ts';
import { defaultPodsDir, runtimeInfo } from '../devenv/runtime/pods.ts';
import { procStat, treeMemory } from '../devenv/runtime/procfs.ts';

process.env.KUBECONFIG ??= kubeconfigPath;
if (!existsSync(process.env.KUBECONFIG)) throw new Error(`no local cluster (${process.env.KUBECONFIG}): run \`npm run infra:up\``);
const info = runtimeInfo();
if (!info) throw new Error(`the local pod runtime is not running (${join(defaultPodsDir(), 'runtime.json')}): run \`npm run infra:up\``);
const version = pinnedPostgresVersion(16);
postgresBinDir(version); // throws saying how to install the binaries
const replicas = Number(process.argv[2] ?? 3);

const kube = makeKube();
const ready = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

await installCrdsAndCatalog();
const ns = `bench-dp-${Date.now().toString(36)}`;
await kube.core.createNamespace({ body: { metadata: { name: ns } } });
const provisioner = new Provisioner({ kube, log: createLogger({ component: 'bench' }, 'warn'), scripts: loadPostgresScripts(), resyncMs: 2_000, namespace: ns });
await provisioner.start();

// First sight and first Ready of every Pod UID, in this process's clock.
const created = new Map<string, number>();
const readyAt = new Map<string, number>();
const byName = new Map<string, string>();
const informer = makeInformer<V1Pod>(kube.kc, `/api/v1/namespaces/${ns}/pods`, () => kube.core.listNamespacedPod({ namespace: ns }));
const see = (p: V1Pod) => {
  const uid = p.metadata?.uid ?? '';
  if (!created.has(uid)) created.set(uid, performance.now());
  if (ready(p) && !readyAt.has(uid)) readyAt.set(uid, performance.now());
  if (!p.metadata?.deletionTimestamp) byName.set(p.metadata?.name ?? '', uid);
};
informer.on('add', see);
informer.on('update', see);
await informer.start();

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const readyUid = (name: string, not?: string) => {
  const uid = byName.get(name);
  return uid && uid !== not && readyAt.has(uid) ? uid : undefined;
};
const ms = (x: number) => `${Math.round(x)} ms`;

try {
  const t0 = performance.now();
  await kube.custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns,
    body: { apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: 'pg' }, spec: { version, replicas } },
  });
  const uids: string[] = [];
  for (let i = 0; i < replicas; i++) uids.push(await until(`pg-${i} Ready`, () => readyUid(`pg-${i}`)));
  const t1 = performance.now();
  const lines: string[] = [`PostgreSQL ${version}, ${replicas} replicas, runtime pid ${info.pid}`];
  for (const [i, uid] of uids.entries()) {
    const c = created.get(uid) ?? 0;
    lines.push(`pg-${i} (${i === 0 ? 'primary, initdb' : 'standby, pg_basebackup'}): Pod created → Ready ${ms((readyAt.get(uid) ?? 0) - c)}`);
  }
  lines.push(`Postgres created → all ${replicas} Pods Ready: ${ms(t1 - t0)}`);

  // A standby deleted: the runtime stops it (fast shutdown), deletes the Pod, the StatefulSet
  // controller makes a new one, the runtime starts it on the same data.
  const victim = `pg-${replicas - 1}`;
  const oldUid = byName.get(victim) ?? '';
  const d0 = performance.now();
  await kube.core.deleteNamespacedPod({ name: victim, namespace: ns });
  const newUid = await until(`${victim} replaced and Ready`, () => readyUid(victim, oldUid));
  lines.push(`${victim} deleted → replacement Ready: ${ms((readyAt.get(newUid) ?? 0) - d0)} (of which new Pod seen → Ready ${ms((readyAt.get(newUid) ?? 0) - (created.get(newUid) ?? 0))})`);

  // Memory per Pod: the container's process tree (the pid the runtime recorded and its descendants).
  await new Promise((r) => setTimeout(r, 2_000));
  for (let i = 0; i < replicas; i++) {
    const uid = byName.get(`pg-${i}`) ?? '';
    const state = JSON.parse(readFileSync(join(info.podsDir, uid, 'state.json'), 'utf8')) as { containers: Record<string, { proc?: { pid: number } }> };
    const pid = state.containers.postgres?.proc?.pid ?? 0;
    const m = treeMemory(pid);
    lines.push(`pg-${i} memory: ${m.processes} processes (postmaster ${pid}: ${procStat(pid)?.comm}), RSS sum ${(m.rssKb / 1024).toFixed(1)} MiB, PSS ${(m.pssKb / 1024).toFixed(1)} MiB`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await informer.stop();
  await provisioner.stop();
  await kube.core.deleteNamespace({ name: ns }).catch(() => undefined);
}
process.exit(0);
