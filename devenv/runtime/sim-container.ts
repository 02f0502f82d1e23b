// The local pod runtime's side of the SIMULATED SingleStore and ProxySQL containers (dev/test
// infrastructure; the servers themselves are in mysql-sim/, see its README): how such a container is
// started as a process, where its "image" keeps its data, its readiness check, and the ProxySQL peers
// file the runtime keeps up to date (there is no cluster DNS here, so members learn each other's Pod
// IPs from it).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { simCommand, type SimKind } from './mysql-sim/launch.ts';
import type { PingResult } from './pg-ping.ts';

/**
 * Where the real images keep their data and read their config: the sim's SIM_STATE_DIR is the local
 * directory of whatever the Pod mounts at `data` (render.ts mounts its `data` volume there), its
 * SIM_CONFIG_DIR (SingleStore) that of `config`.
 */
export const SIM_IMAGE_PATHS: Record<SimKind, { data: string; config?: string }> = {
  singlestore: { data: '/var/lib/memsql', config: '/etc/memsql/conf.d' },
  proxysql: { data: '/var/lib/proxysql' },
  mysql: { data: '/var/lib/mysql' },
};

export const SIM_LABEL: Record<SimKind, string> = { singlestore: 'SIMULATED SingleStore', proxysql: 'SIMULATED ProxySQL', mysql: 'SIMULATED MySQL' };

/**
 * Starts the simulated server (`node --import tsx mysql-sim/main.ts`, cwd the repository) detached,
 * in its own process group like a container, with only the given env (plus PATH) and its output
 * appended to logFile. SIGTERM/SIGINT make it exit 0.
 */
export function runSimContainer(opts: { env: Record<string, string>; logFile: string }): ChildProcess {
  const { command, args, cwd } = simCommand();
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...opts.env }, stdio: ['ignore', out, out], detached: true });
    if (child.pid === undefined) throw new Error('could not start the simulated server');
    return child;
  } finally {
    closeSync(out);
  }
}

/** A tcpSocket readiness probe: the port accepts a connection on the Pod IP. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<PingResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: PingResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, reason: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ ok: true }));
    socket.once('error', (e) => done({ ok: false, reason: `dial tcp ${host}:${port}: ${e.message}` }));
  });
}

const controllerUid = (p: V1Pod) => p.metadata?.ownerReferences?.find((o) => o.controller)?.uid;

/** `<hostname>.<subdomain>.<ns>.svc` (the StatefulSet controller sets both), else the Pod's name. */
export function podDnsName(p: V1Pod): string {
  const host = p.spec?.hostname ?? p.metadata?.name ?? '';
  return p.spec?.subdomain ? `${host}.${p.spec.subdomain}.${p.metadata?.namespace}.svc` : host;
}

/**
 * The peers file of a ProxySQL member (mysql-sim README, "Peers"): every Pod of its StatefulSet (same
 * namespace, same `app.kubernetes.io/instance`, same controlling owner), itself included, by DNS name,
 * with its IP ("" while it has none). A Pod being deleted has left.
 */
export function statefulSetPeers(pod: V1Pod, pods: readonly V1Pod[]): Record<string, string> {
  const ns = pod.metadata?.namespace;
  const instance = pod.metadata?.labels?.['app.kubernetes.io/instance'];
  const owner = controllerUid(pod);
  const members = pods.filter((p) => p.metadata?.namespace === ns && p.metadata?.labels?.['app.kubernetes.io/instance'] === instance
    && controllerUid(p) === owner && (!p.metadata?.deletionTimestamp || p.metadata.uid === pod.metadata?.uid));
  if (!members.some((p) => p.metadata?.uid === pod.metadata?.uid)) members.push(pod);
  const entries = members.map((p) => [podDnsName(p), p.status?.podIP ?? ''] as const).sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(entries);
}

/** Writes <dir>/peers.json atomically unless it already says exactly that; true when written. */
export function writePeersFile(dir: string, peers: Record<string, string>): boolean {
  const file = join(dir, 'peers.json');
  const text = `${JSON.stringify(peers, null, 2)}\n`;
  try {
    if (readFileSync(file, 'utf8') === text) return false;
  } catch {
    // not there yet
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-runtime`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return true;
}
