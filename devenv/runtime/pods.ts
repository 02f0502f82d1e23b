// The local pod runtime of the dev cluster (dev/test infrastructure, not shipped): the kubelet of the
// Pods labelled app.kubernetes.io/managed-by=opsflow that are bound to kwok's fake nodes (kwok's
// stages leave exactly those Pods alone, see kwok-stages.ts). For each such Pod it
//
//   - gives it an IP from its node's spec.podCIDR (127.1.<n>.0/24: loopback, so a process can listen
//     on it without any network setup), from the top of the range down (kwok hands out its own Pods'
//     IPs from the bottom), never one of a live Pod or one something on this machine already listens
//     on, and the same one again when a Pod of that name comes back, if it is free;
//   - maps each volumeMount to a local path: a PVC to its PV's hostPath directory (volumes.ts), a
//     Secret or ConfigMap to files written into the Pod's directory on every container start and
//     rewritten when their source changes (resync, like the kubelet's sync), an emptyDir to a directory of the Pod's that goes with it;
//   - runs `postgres:<X.Y>` containers as real processes: the container's `bash <script>` with the
//     script path and every env value that is a path below a mount rewritten to the local path, the
//     env resolved like the kubelet does (fieldRef, secretKeyRef, configMapKeyRef, $(VAR)), plus, for
//     a value naming a Pod's DNS record (<pod>.<service>.<ns>.svc), <NAME>ADDR = that Pod's IP (there
//     is no cluster DNS here), and for a value naming a Service (<svc>.<ns>.svc) <NAME>ADDR = the IP of
//     a Pod its selector picks now (a Ready one first; none: no <NAME>ADDR, like a Service without
//     endpoints); kube-proxy would follow the selector later, this address does not (a container
//     re-resolves when it starts again). The binaries of that version play the image (devenv/postgres.ts,
//     postgres-process.ts). Init containers run first, in order, each with its own image's version;
//   - when a Pod named that way comes back with another IP (recreated on another node), restarts
//     the containers that were given the old one: with DNS they would just reconnect;
//   - marks the Pod Ready when Postgres answers on podIP:port (pg_isready's check), NotReady when it
//     stops answering or its process ends; restarts an ended process with a growing back-off;
//   - on deletion stops the process (SIGINT to postgres: fast shutdown; SIGKILL to its process group
//     and descendants after the grace period), removes the Pod's own files (not the PVC's) and
//     deletes the Pod object;
//   - writes each container's output to a file of the Pod's, served to `kubectl logs` (logs.ts);
//   - keeps each Pod's state in <podsDir>/<uid>/state.json. Processes run detached, so they outlive
//     the runtime: a restarted runtime adopts every process that is still the one it started (pid and
//     start time) and restarts the others.
//
// singlestore/node and proxysql/proxysql containers run SIMULATED servers (mysql-sim/, MySQL protocol,
// no data; sim-container.ts): the same machinery (resolved env and mounts, <NAME>ADDR peers, process
// records, adoption, back-off, stop), with the sim's env (SIM_STATE_DIR = the local directory of the
// image's data path, SIM_CONFIG_DIR for SingleStore), readiness = a TCP connect to the readinessProbe's
// tcpSocket port, SIGTERM to stop; and for ProxySQL a peers.json in the data directory listing every
// member of the StatefulSet with its IP, rewritten whenever one appears, goes or moves. Their logs and
// events say SIMULATED.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import {
  PatchStrategy, setHeaderOptions, type CoreV1Event, type V1Container, type V1ContainerState, type V1ContainerStatus,
  type V1Node, type V1Pod, type V1PodCondition, type V1Volume,
} from '@kubernetes/client-node';
import { apiErrorMessage, isApiError, isNotFound, type Kube } from '../../src/k8s/client.ts';
import { ResilientInformer } from '../../src/k8s/informer.ts';
import type { Logger } from '../../src/logger.ts';
import { clusterName } from '../cluster.ts';
import { stateDir } from '../paths.ts';
import { postgresBinDir, postgresMinor } from '../postgres.ts';
import { runContainerScript } from '../postgres-process.ts';
import { MANAGED_BY_LABEL, LOCAL_RUNTIME_MANAGER } from './kwok-stages.ts';
import { applyPodLogs, LogPump, rotateCriLog, type ContainerLogFiles } from './logs.ts';
import { simEnv, simulatedKind, type SimKind } from './mysql-sim/launch.ts';
import { pgPing, type PingResult } from './pg-ping.ts';
import { descendants, groupMembers, procStat, processTable, sameProcessAlive, signalGroup, signalPid, type ProcStat } from './procfs.ts';
import { podDnsName, runSimContainer, SIM_IMAGE_PATHS, SIM_LABEL, statefulSetPeers, tcpProbe, writePeersFile } from './sim-container.ts';
import { finishNodeExpansion } from './volume-expansion.ts';

const COMPONENT = 'opsflow-local-runtime';
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/**
 * unix socket paths are limited to 107 bytes and an emptyDir may hold Postgres's socket: room for
 * "<emptyRoot>/<volume name>" (when the Pod's directory is too deep, emptyDirs go under tmpdir()).
 */
const SOCKET_PATH_ROOM = 107 - '/.s.PGSQL.65535'.length;

/** Where the runtime keeps its Pods (OPSFLOW_PODS_DIR overrides). */
export function defaultPodsDir(): string {
  return process.env.OPSFLOW_PODS_DIR ?? join(stateDir, 'pods', clusterName);
}

/** Written by a running pod runtime: tests and tools find it (and know it runs this code) here. */
export interface RuntimeInfo {
  pid: number;
  startedAt: string;
  podsDir: string;
}

export function runtimeInfo(podsDir = defaultPodsDir()): RuntimeInfo | undefined {
  const info = readJson<RuntimeInfo>(join(podsDir, 'runtime.json'));
  if (!info) return undefined;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

export interface PodRuntimeOptions {
  kube: Kube;
  /** Per-Pod state, volumes and logs: <podsDir>/<uid>/. */
  podsDir: string;
  log: Logger;
  /** First restart delay after a container ended (doubles per restart). Default 1000 ms. */
  backoffBaseMs?: number;
  /** Largest restart delay. Default 60 s. */
  backoffMaxMs?: number;
  /** Informer resync (status/peer checks). Default 5 s. */
  resyncMs?: number;
}

// ---------------------------------------------------------------------------------------------
// State on disk

interface ProcRecord {
  pid: number;
  /** /proc start time (clock ticks): tells our process from a later one with the same pid. */
  startTime: number;
  startedAt: string;
  /** The raw output file of this start and how much of it is in the CRI log. */
  raw: string;
  offset: number;
}

interface ContainerRecord {
  restartCount: number;
  proc?: ProcRecord;
  /** Peers' addresses given to the running process (<NAME>ADDR -> the Pod and its IP then), to notice when one moves. */
  peers?: Record<string, PeerRef>;
  /** A simulated container's SIM_STATE_DIR (local path), where a ProxySQL's peers.json is kept. */
  simStateDir?: string;
}

interface PeerRef {
  namespace: string;
  name: string;
  ip: string;
}

interface PodState {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  ip?: string;
  emptyRoot?: string;
  /** How many init containers completed. */
  initDone: number;
  containers: Record<string, ContainerRecord>;
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

class ConfigError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Host addresses of an IPv4 CIDR, highest first, without network, broadcast and the .1 gateway. */
export function cidrHosts(cidr: string): string[] {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  if (!m?.[1] || !m[2]) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  const base = ipToInt(m[1]) - (ipToInt(m[1]) % size);
  const out: string[] = [];
  for (let i = size - 2; i >= 2; i--) out.push(intToIp(base + i));
  return out;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** postgres:16.15 → "16.15"; undefined for other images. Throws for a postgres tag it cannot run. */
export function postgresImageVersion(image: string): string | undefined {
  const at = image.split('@')[0] ?? image;
  const colon = at.lastIndexOf(':');
  const repo = colon > at.lastIndexOf('/') ? at.slice(0, colon) : at;
  const tag = colon > at.lastIndexOf('/') ? at.slice(colon + 1) : 'latest';
  if (repo.split('/').at(-1) !== 'postgres') return undefined;
  const m = /^(\d+\.\d+)(?:\.0)?(?:-.+)?$/.exec(tag);
  if (!m?.[1]) throw new ConfigError('InvalidImageName', `image ${image}: the local runtime needs a postgres:<major>.<minor> tag to pick the binaries`);
  return postgresMinor(m[1]);
}

const DNS_LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const POD_DNS_NAME = new RegExp(`^(${DNS_LABEL})\\.(${DNS_LABEL})\\.(${DNS_LABEL})\\.svc(?:\\.cluster\\.local)?\\.?$`);
const SERVICE_DNS_NAME = new RegExp(`^(${DNS_LABEL})\\.(${DNS_LABEL})\\.svc(?:\\.cluster\\.local)?\\.?$`);

/** Expands $(VAR) references like the kubelet ($$ escapes). */
function expandVars(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && name in env ? (env[name] ?? '') : whole;
  });
}

function fieldRefValue(pod: V1Pod, path: string, podIP: string, hostIP: string): string {
  const md = pod.metadata;
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label?.[1]) return md?.labels?.[label[1]] ?? '';
  const ann = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (ann?.[1]) return md?.annotations?.[ann[1]] ?? '';
  switch (path) {
    case 'metadata.name': return md?.name ?? '';
    case 'metadata.namespace': return md?.namespace ?? '';
    case 'metadata.uid': return md?.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': case 'status.podIPs': return podIP;
    case 'status.hostIP': case 'status.hostIPs': return hostIP;
    default: throw new ConfigError('CreateContainerConfigError', `fieldRef ${path} is not supported by the local runtime`);
  }
}

// ---------------------------------------------------------------------------------------------
// The runtime

export class PodRuntime {
  readonly kube: Kube;
  readonly log: Logger;
  readonly podsDir: string;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  private readonly resyncMs: number;
  private pods?: ResilientInformer<V1Pod>;
  private nodes?: ResilientInformer<V1Node>;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods this runtime stopped and deleted (their last events must not start them again). */
  private readonly finished = new Set<string>();
  /** IPs handed out by this runtime that may not be in any Pod's status yet. */
  private readonly allocated = new Set<string>();
  private readonly leasesFile: string;
  private allocating: Promise<unknown> = Promise.resolve();
  private started = false;
  private treeTimer?: NodeJS.Timeout;
  private peerFilesScheduled = false;

  constructor(o: PodRuntimeOptions) {
    this.kube = o.kube;
    this.log = o.log;
    this.podsDir = o.podsDir;
    this.backoffBaseMs = o.backoffBaseMs ?? 1_000;
    this.backoffMaxMs = o.backoffMaxMs ?? 60_000;
    this.resyncMs = o.resyncMs ?? 5_000;
    this.leasesFile = join(this.podsDir, 'ip-leases.json');
  }

  async start(): Promise<void> {
    mkdirSync(this.podsDir, { recursive: true, mode: 0o700 });
    const { kube } = this;
    this.nodes = new ResilientInformer<V1Node>({
      kc: kube.kc, path: '/api/v1/nodes',
      list: () => kube.core.listNode() as never,
      onEvent: () => undefined,
      onError: (e) => this.log.warn('node watch failed; restarting', { error: String(e) }),
    });
    this.pods = new ResilientInformer<V1Pod>({
      kc: kube.kc, path: '/api/v1/pods',
      list: () => kube.core.listPodForAllNamespaces() as never,
      resyncMs: this.resyncMs,
      onEvent: (type, pod) => { if (this.started) this.onPod(type, pod); },
      onError: (e) => this.log.warn('pod watch failed; restarting', { error: String(e) }),
    });
    await this.nodes.start();
    await this.pods.start();
    this.started = true;
    this.collectOrphans();
    for (const pod of this.pods.list()) this.onPod('add', pod);
    writeJsonAtomic(join(this.podsDir, 'runtime.json'), { pid: process.pid, startedAt: now(), podsDir: this.podsDir } satisfies RuntimeInfo);
    this.treeTimer = setInterval(() => {
      if (this.workers.size === 0) return;
      const table = processTable();
      for (const w of this.workers.values()) for (const r of [...w.inits, ...w.runners]) r.snapshotTree(table);
    }, 1_000);
  }

  /** Stops watching; the Pods' processes keep running (a restarted runtime adopts them). */
  async stop(): Promise<void> {
    this.started = false;
    if (this.treeTimer) clearInterval(this.treeTimer);
    await Promise.all([this.pods?.stop(), this.nodes?.stop()]);
    for (const w of this.workers.values()) w.detach();
    this.workers.clear();
  }

  node(name: string): V1Node | undefined {
    return this.nodes?.list().find((n) => n.metadata?.name === name);
  }

  findPod(namespace: string, name: string): V1Pod | undefined {
    return this.pods?.list().find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
  }

  private isOurs(pod: V1Pod): boolean {
    if (pod.metadata?.labels?.[MANAGED_BY_LABEL] !== LOCAL_RUNTIME_MANAGER) return false;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return false;
    const node = this.node(nodeName);
    // A Pod bound before the node informer saw its node: the resync brings it back.
    return node?.metadata?.annotations?.[KWOK_NODE_ANNOTATION] === 'fake';
  }

  /** Every Pod (the informer's cache). */
  allPods(): readonly V1Pod[] {
    return this.pods?.list() ?? [];
  }

  /**
   * Rewrites the peers files of the simulated ProxySQL members (those whose content changed), once
   * per burst of Pod events: a member appeared, went or got another IP.
   */
  private schedulePeerFiles(): void {
    if (this.peerFilesScheduled) return;
    this.peerFilesScheduled = true;
    setImmediate(() => {
      this.peerFilesScheduled = false;
      if (!this.started) return;
      for (const w of this.workers.values()) w.syncPeerFiles();
    });
  }

  private onPod(type: 'add' | 'update' | 'delete' | 'resync', pod: V1Pod): void {
    if (type !== 'delete' && pod.status?.podIP) {
      // A Pod got an IP: the processes given an older address of that Pod name must learn it.
      for (const w of this.workers.values()) w.checkPeers();
    }
    this.schedulePeerFiles();
    const uid = pod.metadata?.uid ?? '';
    const existing = this.workers.get(uid);
    if (type === 'delete') {
      if (existing) void existing.terminate(true);
      return;
    }
    if (existing) {
      existing.update(pod, type === 'resync');
      return;
    }
    if (this.finished.has(uid) || !this.isOurs(pod)) return;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const w = new PodWorker(this, pod);
    this.workers.set(uid, w);
    if (pod.metadata?.deletionTimestamp) {
      // Deleted while the runtime was down (or before it saw the Pod): stop what runs, delete it.
      void w.terminate(false);
      return;
    }
    void w.run().catch((e: unknown) => {
      // Unexpected: let a later event or resync start over (what runs is adopted from the state file).
      this.log.error('pod worker failed; retrying on the next resync', { pod: w.ref, error: e instanceof Error ? e.stack : String(e) });
      w.detach();
      if (this.workers.get(uid) === w) this.workers.delete(uid);
    });
  }

  forget(uid: string, ip: string | undefined): void {
    this.workers.delete(uid);
    this.finished.add(uid);
    if (ip) this.allocated.delete(ip);
  }

  /** Pod directories whose Pod is gone (deleted while the runtime was down): stop and remove. */
  private collectOrphans(): void {
    const live = new Set((this.pods?.list() ?? []).map((p) => p.metadata?.uid));
    for (const uid of readdirSync(this.podsDir)) {
      if (!/^[0-9a-f-]{36}$/.test(uid)) continue;
      const dir = join(this.podsDir, uid);
      const state = readJson<PodState>(join(dir, 'state.json'));
      if (!state || live.has(uid)) continue;
      for (const [name, c] of Object.entries(state.containers)) {
        if (c.proc && sameProcessAlive(c.proc.pid, c.proc.startTime)) {
          this.log.info('stopping the process of a Pod deleted while the runtime was down', { pod: `${state.namespace}/${state.name}`, container: name, pid: c.proc.pid });
          signalGroup(c.proc.pid, 'SIGKILL');
        }
      }
      if (state.emptyRoot) rmSync(state.emptyRoot, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** One IP from the node's podCIDR (serialized: two Pods never get the same). */
  allocateIp(pod: V1Pod, node: V1Node, ports: number[]): Promise<string> {
    const next = this.allocating.then(() => this.doAllocateIp(pod, node, ports));
    this.allocating = next.catch(() => undefined);
    return next;
  }

  private async doAllocateIp(pod: V1Pod, node: V1Node, ports: number[]): Promise<string> {
    const cidr = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0];
    if (!cidr) throw new ConfigError('NetworkNotReady', `node ${node.metadata?.name} has no spec.podCIDR`);
    const used = new Set(this.allocated);
    for (const p of this.pods?.list() ?? []) {
      if (p.metadata?.uid === pod.metadata?.uid) continue;
      if (p.status?.podIP) used.add(p.status.podIP);
      for (const x of p.status?.podIPs ?? []) used.add(x.ip);
    }
    const leases = readJson<Record<string, string>>(this.leasesFile) ?? {};
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const hosts = cidrHosts(cidr);
    const sticky = leases[key];
    const candidates = sticky && hosts.includes(sticky) ? [sticky, ...hosts.filter((h) => h !== sticky)] : hosts;
    for (const ip of candidates) {
      if (used.has(ip)) continue;
      const free = await Promise.all(ports.map((p) => portFree(ip, p)));
      if (!free.every(Boolean)) continue; // another stack's process, or a leftover, listens there
      this.allocated.add(ip);
      leases[key] = ip;
      writeJsonAtomic(this.leasesFile, leases);
      return ip;
    }
    throw new ConfigError('NetworkNotReady', `no free IP left in ${cidr} of node ${node.metadata?.name}`);
  }

  event(pod: V1Pod, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    const ns = pod.metadata?.namespace ?? 'default';
    const t = new Date();
    const ev: CoreV1Event = {
      metadata: { generateName: `${pod.metadata?.name}.`, namespace: ns },
      involvedObject: {
        apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, namespace: ns, uid: pod.metadata?.uid,
        ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
      },
      type, reason, message: message.slice(0, 1024),
      source: { component: 'kubelet', host: pod.spec?.nodeName },
      reportingComponent: COMPONENT, reportingInstance: pod.spec?.nodeName ?? COMPONENT,
      firstTimestamp: t, lastTimestamp: t, count: 1,
    };
    this.kube.core.createNamespacedEvent({ namespace: ns, body: ev }).catch((e: unknown) => {
      this.log.debug('could not record an event', { error: apiErrorMessage(e) });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// One Pod

type Kind = 'init' | 'main';

interface Exit {
  code: number | null;
  signal: string | null;
  /** The process ended while no ChildProcess handle saw it (e.g. the runtime restarted). */
  unknown?: boolean;
}

class PodWorker {
  pod: V1Pod;
  readonly uid: string;
  readonly ref: string;
  readonly dir: string;
  state: PodState;
  readonly runners: ContainerRunner[] = [];
  readonly inits: ContainerRunner[] = [];
  readonly abort = new AbortController();
  private terminating?: Promise<void>;
  private detached = false;
  private statusDirty = false;
  private statusWriting?: Promise<void>;
  private readonly conditionTimes = new Map<string, { status: string; time: string }>();
  initialized = false;
  anyStarted = false;
  hostIP = '127.0.0.1';
  private podStartTime?: string;

  constructor(readonly rt: PodRuntime, pod: V1Pod) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    this.dir = join(rt.podsDir, this.uid);
    const saved = readJson<PodState>(join(this.dir, 'state.json'));
    this.state = saved?.uid === this.uid ? saved : {
      uid: this.uid, namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', node: pod.spec?.nodeName ?? '',
      initDone: 0, containers: {},
    };
    for (const c of pod.spec?.initContainers ?? []) this.inits.push(new ContainerRunner(this, c, 'init'));
    for (const c of pod.spec?.containers ?? []) this.runners.push(new ContainerRunner(this, c, 'main'));
    for (const cs of pod.status?.conditions ?? []) {
      if (cs.lastTransitionTime) this.conditionTimes.set(cs.type, { status: cs.status, time: new Date(cs.lastTransitionTime).toISOString() });
    }
    if (pod.status?.startTime) this.podStartTime = new Date(pod.status.startTime).toISOString();
    this.anyStarted = pod.status?.phase === 'Running';
  }

  get log(): Logger {
    return this.rt.log.child({ pod: this.ref });
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  saveState(): void {
    if (this.detached || this.terminating) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(join(this.dir, 'state.json'), this.state);
  }

  record(name: string): ContainerRecord {
    let r = this.state.containers[name];
    if (!r) {
      r = { restartCount: 0 };
      this.state.containers[name] = r;
    }
    return r;
  }

  get ip(): string {
    return this.state.ip ?? '';
  }

  async run(): Promise<void> {
    const p = this.pod;
    mkdirSync(join(this.dir, 'logs'), { recursive: true, mode: 0o700 });
    const node = this.rt.node(p.spec?.nodeName ?? '');
    if (!node) throw new Error(`node ${p.spec?.nodeName} unknown`);
    this.hostIP = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
    if (!this.state.emptyRoot) {
      const inPod = join(this.dir, 'empty');
      this.state.emptyRoot = inPod.length + 20 <= SOCKET_PATH_ROOM ? inPod : join(tmpdir(), `opsflow-empty-${this.uid}`);
    }
    // The IP: kept for the Pod's life (a restarted runtime finds it in its state or the Pod's status).
    if (!this.state.ip && p.status?.podIP) {
      this.log.warn('the Pod has an IP this runtime did not give it: is the cluster from before kwok left opsflow\'s Pods to the runtime? Recreate it: npm run infra:down && npm run infra:up', { podIP: p.status.podIP });
      this.state.ip = p.status.podIP;
    }
    if (!this.state.ip) {
      const ports = this.runners.filter((r) => r.version !== undefined || r.sim !== undefined).flatMap((r) => r.ports());
      while (!this.aborted) {
        try {
          this.state.ip = await this.rt.allocateIp(p, node, ports);
          break;
        } catch (e) {
          this.rt.event(p, 'Warning', 'FailedCreatePodSandBox', String(e instanceof Error ? e.message : e));
          await abortableSleep(5_000, this.abort.signal);
        }
      }
      if (this.aborted) return;
    }
    this.podStartTime ??= now();
    this.saveState();
    // Logs objects for `kubectl logs`.
    const files: ContainerLogFiles[] = [...this.inits, ...this.runners].map((r) => ({ container: r.name, current: r.currentLog, previous: r.previousLog }));
    for (const f of files) if (!existsSync(f.current)) writeFileSync(f.current, '');
    applyPodLogs(this.rt.kube, p, files).catch((e: unknown) => this.log.warn('could not create the Logs object', { error: apiErrorMessage(e) }));

    // Adopt what still runs; what does not is started again below.
    for (const r of [...this.inits, ...this.runners]) r.restore();
    // Init containers: a runtime restart in the middle of one runs it again (they are idempotent).
    for (const [i, r] of this.inits.entries()) {
      if (i < this.state.initDone) {
        r.markCompleted();
        continue;
      }
      await r.killLeftovers();
    }
    this.initialized = this.state.initDone >= this.inits.length;
    this.writeStatus();
    for (let i = this.state.initDone; i < this.inits.length && !this.aborted; i++) {
      const r = this.inits[i];
      if (!r) break;
      const ok = await r.runToCompletion();
      if (!ok) return;
      this.state.initDone = i + 1;
      this.saveState();
    }
    if (this.aborted) return;
    this.initialized = true;
    this.writeStatus();
    await Promise.all(this.runners.map((r) => r.supervise()));
  }

  update(pod: V1Pod, resync: boolean): void {
    if (this.detached) return;
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      void this.terminate(false);
      return;
    }
    if (resync) {
      // Someone else changed the status (e.g. a runtime that ran before us): keep ours.
      if (this.statusDiffers()) this.writeStatus();
      if (!this.terminating) for (const r of this.runners) void r.refreshVolumes().catch(() => undefined);
    }
  }

  checkPeers(): void {
    if (this.detached || this.terminating) return;
    for (const r of this.runners) r.checkPeers();
  }

  syncPeerFiles(): void {
    if (this.detached || this.terminating) return;
    for (const r of this.runners) r.syncPeerFile();
  }

  /** Stops watching and probing but leaves the processes running (runtime shutdown). */
  detach(): void {
    this.detached = true;
    for (const r of [...this.inits, ...this.runners]) r.detach();
    this.abort.abort();
  }

  terminate(gone: boolean): Promise<void> {
    this.terminating ??= this.doTerminate(gone).catch((e: unknown) => {
      this.log.error('pod termination failed', { error: String(e) });
    });
    return this.terminating;
  }

  private async doTerminate(gone: boolean): Promise<void> {
    const p = this.pod;
    const grace = gone ? 0 : (p.metadata?.deletionGracePeriodSeconds ?? p.spec?.terminationGracePeriodSeconds ?? 30);
    this.log.info('stopping pod', { graceSeconds: grace });
    this.abort.abort();
    await Promise.all([...this.inits, ...this.runners].map((r) => r.stop(grace * 1000)));
    if (this.state.emptyRoot) rmSync(this.state.emptyRoot, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
    this.rt.forget(this.uid, this.state.ip);
    if (gone) return;
    const { core } = this.rt.kube;
    const name = p.metadata?.name ?? '';
    const namespace = p.metadata?.namespace ?? '';
    // Retried until the API server answers (it may be restarting): the processes are gone and
    // forgotten, so nothing else would ever remove the object, and a Pod left Terminating is
    // never replaced by its StatefulSet.
    for (let attempt = 0; !this.detached; attempt++) {
      try {
        if (p.metadata?.finalizers?.length) {
          await core.patchNamespacedPod({ name, namespace, body: { metadata: { finalizers: null } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        }
        await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } });
        this.log.info('pod deleted');
        return;
      } catch (e) {
        if (isNotFound(e) || isApiError(e, 409)) return;
        if (attempt % 10 === 0) this.log.warn('could not delete the pod object; retrying', { error: apiErrorMessage(e), attempt });
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 4000)));
      }
    }
  }

  // --- status -----------------------------------------------------------------------------

  private condition(type: string, ok: boolean, reason?: string, message?: string): V1PodCondition {
    const status = ok ? 'True' : 'False';
    const prev = this.conditionTimes.get(type);
    const time = prev?.status === status ? prev.time : now();
    this.conditionTimes.set(type, { status, time });
    return {
      type, status, lastTransitionTime: time as unknown as Date, lastProbeTime: null as unknown as Date,
      reason: ok ? null as unknown as string : reason, message: ok ? null as unknown as string : message,
    };
  }

  renderStatus(): Record<string, unknown> {
    const ready = this.initialized && this.runners.every((r) => r.ready);
    const notReady = this.runners.filter((r) => !r.ready).map((r) => r.name);
    const notInit = this.inits.filter((r) => !r.completed).map((r) => r.name);
    const ip = this.ip;
    return {
      phase: this.anyStarted ? 'Running' : 'Pending',
      conditions: [
        this.condition('PodScheduled', true),
        this.condition('Initialized', this.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${notInit.join(' ')}]`),
        this.condition('ContainersReady', ready, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`),
        this.condition('Ready', ready, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`),
      ],
      hostIP: this.hostIP,
      hostIPs: [{ ip: this.hostIP }],
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      startTime: this.podStartTime,
      containerStatuses: this.runners.map((r) => r.renderStatus()),
      ...(this.inits.length ? { initContainerStatuses: this.inits.map((r) => r.renderStatus()) } : {}),
    };
  }

  private statusDiffers(): boolean {
    const s = this.pod.status;
    const ready = s?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const want = this.initialized && this.runners.every((r) => r.ready);
    return ready !== want || (s?.podIP ?? '') !== this.ip
      || this.runners.some((r) => s?.containerStatuses?.find((c) => c.name === r.name)?.restartCount !== r.record.restartCount);
  }

  /** Writes the status (strategic merge on pods/status); coalesces bursts, retries on failure. */
  writeStatus(): void {
    if (this.detached || this.terminating) return;
    this.statusDirty = true;
    if (this.statusWriting) return;
    this.statusWriting = (async () => {
      while (this.statusDirty && !this.detached && !this.terminating) {
        this.statusDirty = false;
        const body = { status: this.renderStatus() };
        try {
          await this.rt.kube.core.patchNamespacedPodStatus(
            { name: this.pod.metadata?.name ?? '', namespace: this.pod.metadata?.namespace ?? '', body },
            setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
        } catch (e) {
          if (isNotFound(e)) return;
          this.log.warn('status update failed; retrying', { error: apiErrorMessage(e) });
          this.statusDirty = true;
          await sleep(1_000);
        }
      }
    })().finally(() => { this.statusWriting = undefined; });
  }
}

// ---------------------------------------------------------------------------------------------
// One container

interface Mount {
  mountPath: string;
  local: string;
}

/** Everything one start of a container needs, resolved. */
type Prepared =
  | { kind: 'postgres'; script: string; env: Record<string, string>; peers: Record<string, PeerRef> }
  /** A simulated server (mysql-sim): env is main.ts's (simEnv), stateDir its SIM_STATE_DIR. */
  | { kind: 'sim'; sim: SimKind; env: Record<string, string>; peers: Record<string, PeerRef>; stateDir: string };

class ContainerRunner {
  readonly name: string;
  /** The Postgres version of a postgres image; undefined for other images. */
  version?: string;
  /** Set for singlestore/node and proxysql/proxysql images: the runtime runs a SIMULATED server (mysql-sim). */
  readonly sim?: SimKind;
  private imageError?: ConfigError;
  ready = false;
  completed = false;
  private state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  private lastState: V1ContainerState = {};
  private child?: ChildProcess;
  private childExit?: Promise<Exit>;
  private probeTimer?: NodeJS.Timeout;
  private pumpTimer?: NodeJS.Timeout;
  private pump?: LogPump;
  private consecutiveFailures = 0;
  private backoffMs: number;
  /** Descendants of the main process last seen (pid -> start time), killed with it. */
  tree = new Map<number, number>();
  /** Set while the process is being restarted because a peer moved (no back-off for that). */
  private peerRestart?: string;
  private stopRequested = false;

  constructor(readonly w: PodWorker, readonly spec: V1Container, readonly kind: Kind) {
    this.name = spec.name;
    this.sim = simulatedKind(spec.image ?? '');
    try {
      this.version = postgresImageVersion(spec.image ?? '');
    } catch (e) {
      if (e instanceof ConfigError) this.imageError = e;
      else this.imageError = new ConfigError('InvalidImageName', String(e instanceof Error ? e.message : e));
    }
    this.backoffMs = w.rt.backoffBaseMs;
    const prev = w.pod.status?.[kind === 'init' ? 'initContainerStatuses' : 'containerStatuses']?.find((c) => c.name === this.name);
    if (prev?.lastState?.terminated) this.lastState = prev.lastState;
    if (prev && kind === 'main') this.ready = prev.ready;
  }

  get record(): ContainerRecord {
    return this.w.record(this.name);
  }

  get currentLog(): string {
    return join(this.w.dir, 'logs', `${this.name}.log`);
  }

  get previousLog(): string {
    return join(this.w.dir, 'logs', `${this.name}.previous.log`);
  }

  /** The ports the container listens on (its Pod IP must have them free): the probe's and every containerPort. */
  ports(): number[] {
    return [...new Set([this.probePort(), ...(this.spec.ports ?? []).map((p) => p.containerPort)])];
  }

  private probePort(): number {
    const p = this.spec.readinessProbe?.tcpSocket?.port;
    if (typeof p === 'number') return p;
    if (typeof p === 'string') {
      const named = this.spec.ports?.find((x) => x.name === p)?.containerPort;
      if (named) return named;
      if (/^\d+$/.test(p)) return Number(p);
    }
    const pgport = this.spec.env?.find((e) => e.name === 'PGPORT')?.value;
    return pgport && /^\d+$/.test(pgport) ? Number(pgport) : 5432;
  }

  renderStatus(): V1ContainerStatus {
    const st = (s: V1ContainerState) => ({ waiting: s.waiting ?? null, running: s.running ?? null, terminated: s.terminated ?? null });
    return {
      name: this.name, image: this.spec.image ?? '', imageID: '',
      ready: this.kind === 'init' ? this.completed : this.ready,
      started: this.state.running !== undefined,
      restartCount: this.record.restartCount,
      state: st(this.state) as V1ContainerState,
      lastState: st(this.lastState) as V1ContainerState,
    } as V1ContainerStatus;
  }

  /** Remembers the main process's descendants (they outlive it as orphans if it is killed). */
  snapshotTree(table: Map<number, ProcStat>): void {
    const proc = this.record.proc;
    if (!proc || !sameProcessAlive(proc.pid, proc.startTime)) return;
    this.tree = new Map(descendants(proc.pid, table).map((d) => [d.pid, d.startTime]));
  }

  markCompleted(): void {
    this.completed = true;
    this.state = { terminated: { exitCode: 0, reason: 'Completed' } };
  }

  private setWaiting(reason: string, message?: string): void {
    this.state = { waiting: { reason, ...(message ? { message } : {}) } };
    this.ready = false;
    this.w.writeStatus();
  }

  /** After a runtime restart: adopt the recorded process if it is still ours. */
  restore(): void {
    const proc = this.record.proc;
    if (this.kind === 'main' && !(proc && sameProcessAlive(proc.pid, proc.startTime))) this.ready = false;
    if (!proc) return;
    if (this.kind === 'main' && sameProcessAlive(proc.pid, proc.startTime)) {
      this.w.log.info('adopted running container', { container: this.name, pid: proc.pid, ...(this.sim ? { simulated: SIM_LABEL[this.sim] } : {}) });
      this.state = { running: { startedAt: new Date(proc.startedAt) } };
      this.w.anyStarted = true;
      this.pump = new LogPump(proc.raw, this.currentLog, proc.offset);
      this.startPumping();
      this.startProbing();
    }
  }

  /** Kills what is left of a recorded process that is not adopted (its group, if it still exists). */
  async killLeftovers(): Promise<void> {
    const proc = this.record.proc;
    if (!proc) return;
    await killContainer(proc, this.tree, 10_000);
    this.flushLogs(proc);
    this.record.proc = undefined;
    this.w.saveState();
  }

  private flushLogs(proc: ProcRecord): void {
    const pump = this.pump ?? new LogPump(proc.raw, this.currentLog, proc.offset);
    try {
      pump.pump(true);
    } catch {
      // the raw file may be gone
    }
    this.pump = undefined;
  }

  /** Everything a start needs, resolved now (Secrets and ConfigMaps re-read). */
  private async prepare(): Promise<Prepared> {
    if (this.imageError) throw this.imageError;
    if (this.sim) return this.prepareSim(this.sim);
    if (this.version === undefined) {
      throw new ConfigError('ErrImageNeverPull', `image ${this.spec.image}: the local pod runtime runs only postgres:<X.Y> images as processes (and simulates singlestore/node, proxysql/proxysql and mysql)`);
    }
    try {
      postgresBinDir(this.version);
    } catch (e) {
      throw new ConfigError('ImagePullBackOff', e instanceof Error ? e.message : String(e));
    }
    const rewrite = await this.mountRewriter();
    const cmd = [...(this.spec.command ?? []), ...(this.spec.args ?? [])];
    if (cmd.length !== 2 || !['bash', '/bin/bash', '/usr/bin/bash'].includes(cmd[0] ?? '')) {
      throw new ConfigError('CreateContainerError', `command ${JSON.stringify(cmd)}: the local pod runtime runs only \`bash <script>\``);
    }
    const script = rewrite(cmd[1] ?? '');
    if (!existsSync(script)) throw new ConfigError('CreateContainerError', `${cmd[1]} is not on any of the container's volumes (local path ${script})`);
    const resolved = await this.envWithPeers(rewrite);
    // The kubelet's terminationMessagePath: what the container writes there becomes
    // lastState.terminated.message (bootstrap.sh puts pg_upgrade's reason there).
    rmSync(this.terminationLog, { force: true });
    return { kind: 'postgres', script, ...resolved, env: { ...resolved.env, TERMINATION_LOG: this.terminationLog } };
  }

  private get terminationLog(): string {
    return join(this.w.dir, `${this.name}.termination-log`);
  }

  private readTerminationMessage(): string | undefined {
    try {
      const m = readFileSync(this.terminationLog, 'utf8').trim();
      return m ? m.slice(0, 4096) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A simulated SingleStore / ProxySQL: the image's entrypoint is mysql-sim's main.ts with the
   * container's env plus simEnv()'s: SIM_STATE_DIR = the local directory of what is mounted at the
   * image's data path (or, with nothing mounted there, a directory of the Pod's: the container's own
   * filesystem), SIM_CONFIG_DIR = that of its config path (SingleStore), SIM_HOST = the Pod IP.
   * MASTER_HOSTADDR comes from the <NAME>ADDR peers like any other container's.
   */
  private async prepareSim(sim: SimKind): Promise<Prepared> {
    const rewrite = await this.mountRewriter();
    const paths = SIM_IMAGE_PATHS[sim];
    const mounted = rewrite(paths.data);
    const stateDir = mounted !== paths.data ? mounted : join(this.w.dir, 'rootfs', this.name, paths.data);
    mkdirSync(stateDir, { recursive: true });
    const configDir = paths.config && rewrite(paths.config) !== paths.config ? rewrite(paths.config) : undefined;
    const { env, peers } = await this.envWithPeers(rewrite);
    try {
      const e = simEnv({ image: this.spec.image ?? '', ip: this.w.ip, podName: this.w.pod.metadata?.name ?? '', stateDir, containerEnv: env, ...(configDir ? { configDir } : {}) });
      return { kind: 'sim', sim, env: e, peers, stateDir };
    } catch (e) {
      throw new ConfigError('InvalidImageName', e instanceof Error ? e.message : String(e));
    }
  }

  /** Materializes the container's mounts; returns the map of a container path to its local path (unchanged when on no mount). */
  private async mountRewriter(): Promise<(v: string) => string> {
    const mounts = await this.resolveMounts();
    const rewrite = (v: string): string => {
      if (!v.startsWith('/')) return v;
      let best: Mount | undefined;
      for (const m of mounts) {
        if ((v === m.mountPath || v.startsWith(`${m.mountPath}/`)) && (!best || m.mountPath.length > best.mountPath.length)) best = m;
      }
      return best ? join(best.local, posix.relative(best.mountPath, v)) : v;
    };
    return rewrite;
  }

  /** The resolved env (paths below a mount rewritten) with <NAME>ADDR for every peer it names. */
  private async envWithPeers(rewrite: (v: string) => string): Promise<{ env: Record<string, string>; peers: Record<string, PeerRef> }> {
    const env = await this.resolveEnv();
    for (const k of Object.keys(env)) env[k] = rewrite(env[k] ?? '');
    const services = await this.resolveServices(env);
    // A Service's picked Pod is a peer too: when it comes back with another IP, the process restarts.
    const peers = { ...this.resolvePeers(env), ...services };
    return { env: { ...env, ...Object.fromEntries(Object.entries(peers).map(([k, p]) => [k, p.ip])) }, peers };
  }

  /** For every value naming a Service (<svc>.<ns>.svc): <NAME>ADDR = a Pod IP its selector picks now (Ready first). */
  private async resolveServices(env: Record<string, string>): Promise<Record<string, PeerRef>> {
    const out: Record<string, PeerRef> = {};
    for (const [k, v] of Object.entries(env)) {
      const m = SERVICE_DNS_NAME.exec(v);
      if (!m?.[1] || !m[2] || `${k}ADDR` in env) continue;
      const svc = await this.w.rt.kube.core.readNamespacedService({ name: m[1], namespace: m[2] }).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      const selector = svc?.spec?.selector;
      if (!selector || !Object.keys(selector).length) continue;
      const ip = (p: V1Pod) => (p.metadata?.uid === this.w.pod.metadata?.uid ? this.w.ip : p.status?.podIP);
      const picked = this.w.rt.allPods().filter((p) => p.metadata?.namespace === m[2] && !p.metadata?.deletionTimestamp && ip(p)
        && Object.entries(selector).every(([lk, lv]) => p.metadata?.labels?.[lk] === lv));
      const ready = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      const pod = picked.find(ready) ?? picked[0];
      const addr = pod && ip(pod);
      if (pod && addr) out[`${k}ADDR`] = { namespace: m[2], name: pod.metadata?.name ?? '', ip: addr };
    }
    return out;
  }

  private async resolveMounts(): Promise<Mount[]> {
    const pod = this.w.pod;
    const ns = pod.metadata?.namespace ?? '';
    const out: Mount[] = [];
    for (const vm of this.spec.volumeMounts ?? []) {
      const vol = pod.spec?.volumes?.find((v) => v.name === vm.name);
      if (!vol) throw new ConfigError('CreateContainerConfigError', `volume ${vm.name} is not in the Pod spec`);
      let local = await this.volumePath(vol, ns);
      if (vm.subPath) {
        local = join(local, vm.subPath);
        mkdirSync(local, { recursive: true });
      }
      out.push({ mountPath: posix.normalize(vm.mountPath).replace(/\/$/, ''), local });
    }
    return out;
  }

  private async volumePath(vol: V1Volume, ns: string): Promise<string> {
    const { core } = this.w.rt.kube;
    if (vol.persistentVolumeClaim) {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ name: vol.persistentVolumeClaim.claimName, namespace: ns }).catch(() => undefined);
      const pvName = pvc?.spec?.volumeName;
      if (!pvName || pvc.status?.phase !== 'Bound') throw new ConfigError('ContainerCreating', `PersistentVolumeClaim ${vol.persistentVolumeClaim.claimName} is not bound yet`);
      const pv = await core.readPersistentVolume({ name: pvName });
      await finishNodeExpansion(this.w.rt.kube, pvc, pv, this.w.log);
      const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
      if (!path) throw new ConfigError('CreateContainerConfigError', `PersistentVolume ${pvName} has no hostPath/local path`);
      mkdirSync(path, { recursive: true });
      return path;
    }
    if (vol.emptyDir) {
      const dir = join(this.w.state.emptyRoot ?? join(this.w.dir, 'empty'), vol.name);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    }
    if (vol.hostPath) {
      mkdirSync(vol.hostPath.path, { recursive: true });
      return vol.hostPath.path;
    }
    if (vol.secret || vol.configMap || vol.downwardAPI || vol.projected) {
      // Written afresh on every start; refreshVolumes keeps them current while the container runs.
      const dir = join(this.w.dir, 'volumes', vol.name);
      writeVolumeFiles(dir, await this.projectFiles(vol, ns));
      return dir;
    }
    throw new ConfigError('CreateContainerConfigError', `volume ${vol.name}: only persistentVolumeClaim, secret, configMap, downwardAPI, projected, emptyDir and hostPath volumes are supported locally`);
  }

  /**
   * Like the kubelet's periodic sync: the Secret and ConfigMap volumes of a running container are
   * rewritten when their source changed (a config reload then sees the new files). subPath mounts
   * are never updated, as with the kubelet.
   */
  async refreshVolumes(): Promise<void> {
    if (!this.record.proc || this.stopRequested || this.w.aborted) return;
    const pod = this.w.pod;
    for (const vm of this.spec.volumeMounts ?? []) {
      const vol = pod.spec?.volumes?.find((v) => v.name === vm.name);
      // Secrets and ConfigMaps only: a projected token would be a new one on every pass.
      if (!vol || vm.subPath || !(vol.secret || vol.configMap)) continue;
      const dir = join(this.w.dir, 'volumes', vol.name);
      const files = await this.projectFiles(vol, pod.metadata?.namespace ?? '').catch(() => undefined);
      if (!files || sameFiles(dir, files)) continue;
      writeVolumeFiles(dir, files);
      this.w.log.info('volume updated', { container: this.name, volume: vol.name });
    }
  }

  /** The files of a secret, configMap, downwardAPI or projected volume. */
  private async projectFiles(vol: V1Volume, ns: string): Promise<Array<{ path: string; content: Buffer; mode: number }>> {
    const { core } = this.w.rt.kube;
    const pod = this.w.pod;
    type Items = Array<{ key: string; path: string; mode?: number }> | undefined;
    const out: Array<{ path: string; content: Buffer; mode: number }> = [];
    const pick = (data: Record<string, Buffer>, items: Items, mode: number) => {
      for (const f of items ?? Object.keys(data).map((k) => ({ key: k, path: k, mode: undefined }))) {
        const content = data[f.key];
        if (content !== undefined) out.push({ path: f.path, content, mode: f.mode ?? mode });
      }
    };
    const secret = async (name: string, optional: boolean | undefined, items: Items, mode: number) => {
      const s = await core.readNamespacedSecret({ name, namespace: ns }).catch((e: unknown) => {
        if (isNotFound(e) && optional) return undefined;
        throw new ConfigError('CreateContainerConfigError', `secret "${name}" not found`);
      });
      pick(Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])), items, mode);
    };
    const configMap = async (name: string, optional: boolean | undefined, items: Items, mode: number) => {
      const cm = await core.readNamespacedConfigMap({ name, namespace: ns }).catch((e: unknown) => {
        if (isNotFound(e) && optional) return undefined;
        throw new ConfigError('CreateContainerConfigError', `configmap "${name}" not found`);
      });
      pick({
        ...Object.fromEntries(Object.entries(cm?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
        ...Object.fromEntries(Object.entries(cm?.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      }, items, mode);
    };
    const downward = (items: Array<{ path: string; mode?: number; fieldRef?: { fieldPath: string } }> | undefined, mode: number) => {
      for (const i of items ?? []) {
        if (i.fieldRef) out.push({ path: i.path, content: Buffer.from(fieldRefValue(pod, i.fieldRef.fieldPath, this.w.ip, this.w.hostIP)), mode: i.mode ?? mode });
      }
    };
    if (vol.secret) await secret(vol.secret.secretName ?? '', vol.secret.optional, vol.secret.items, vol.secret.defaultMode ?? 0o644);
    if (vol.configMap) await configMap(vol.configMap.name ?? '', vol.configMap.optional, vol.configMap.items, vol.configMap.defaultMode ?? 0o644);
    if (vol.downwardAPI) downward(vol.downwardAPI.items, vol.downwardAPI.defaultMode ?? 0o644);
    for (const src of vol.projected?.sources ?? []) {
      const mode = vol.projected?.defaultMode ?? 0o644;
      if (src.secret) await secret(src.secret.name ?? '', src.secret.optional, src.secret.items, mode);
      if (src.configMap) await configMap(src.configMap.name ?? '', src.configMap.optional, src.configMap.items, mode);
      if (src.downwardAPI) downward(src.downwardAPI.items, mode);
      if (src.serviceAccountToken) {
        // The kube-api-access volume: a real bound token (nothing here uses it, but it is valid).
        const token = await core.createNamespacedServiceAccountToken({
          name: pod.spec?.serviceAccountName ?? 'default', namespace: ns,
          body: {
            spec: {
              audiences: src.serviceAccountToken.audience ? [src.serviceAccountToken.audience] : [],
              expirationSeconds: src.serviceAccountToken.expirationSeconds ?? 3607,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
            },
          },
        }).then((t) => t.status?.token ?? '', () => '');
        out.push({ path: src.serviceAccountToken.path, content: Buffer.from(token), mode });
      }
    }
    return out;
  }

  private async resolveEnv(): Promise<Record<string, string>> {
    const pod = this.w.pod;
    const ns = pod.metadata?.namespace ?? '';
    const { core } = this.w.rt.kube;
    const secrets = new Map<string, Record<string, string> | undefined>();
    const configMaps = new Map<string, Record<string, string> | undefined>();
    const secret = async (name: string) => {
      if (!secrets.has(name)) {
        const s = await core.readNamespacedSecret({ name, namespace: ns }).catch(() => undefined);
        secrets.set(name, s ? Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : undefined);
      }
      return secrets.get(name);
    };
    const configMap = async (name: string) => {
      if (!configMaps.has(name)) {
        const c = await core.readNamespacedConfigMap({ name, namespace: ns }).catch(() => undefined);
        configMaps.set(name, c ? (c.data ?? {}) : undefined);
      }
      return configMaps.get(name);
    };
    const env: Record<string, string> = { HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? '' };
    for (const from of this.spec.envFrom ?? []) {
      const src = from.secretRef ? await secret(from.secretRef.name ?? '') : from.configMapRef ? await configMap(from.configMapRef.name ?? '') : undefined;
      const optional = from.secretRef?.optional ?? from.configMapRef?.optional ?? false;
      if (!src && !optional) throw new ConfigError('CreateContainerConfigError', `envFrom ${from.secretRef ? 'secret' : 'configmap'} "${from.secretRef?.name ?? from.configMapRef?.name}" not found`);
      for (const [k, v] of Object.entries(src ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
    }
    for (const e of this.spec.env ?? []) {
      if (e.value !== undefined) {
        env[e.name] = expandVars(e.value, env);
        continue;
      }
      const vf = e.valueFrom;
      if (vf?.fieldRef) {
        env[e.name] = fieldRefValue(pod, vf.fieldRef.fieldPath, this.w.ip, this.w.hostIP);
      } else if (vf?.secretKeyRef) {
        const v = (await secret(vf.secretKeyRef.name ?? ''))?.[vf.secretKeyRef.key];
        if (v === undefined) {
          if (vf.secretKeyRef.optional) continue;
          throw new ConfigError('CreateContainerConfigError', `couldn't find key ${vf.secretKeyRef.key} in Secret ${ns}/${vf.secretKeyRef.name}`);
        }
        env[e.name] = v;
      } else if (vf?.configMapKeyRef) {
        const v = (await configMap(vf.configMapKeyRef.name ?? ''))?.[vf.configMapKeyRef.key];
        if (v === undefined) {
          if (vf.configMapKeyRef.optional) continue;
          throw new ConfigError('CreateContainerConfigError', `couldn't find key ${vf.configMapKeyRef.key} in ConfigMap ${ns}/${vf.configMapKeyRef.name}`);
        }
        env[e.name] = v;
      } else {
        env[e.name] = '';
      }
    }
    return env;
  }

  /**
   * For every value naming a Pod's DNS record (<pod>.<svc>.<ns>.svc): <NAME>ADDR = that Pod's IP,
   * unless the container sets it itself. Throws (retryably) while such a Pod has no IP yet.
   */
  private resolvePeers(env: Record<string, string>): Record<string, PeerRef> {
    const out: Record<string, PeerRef> = {};
    for (const [k, v] of Object.entries(env)) {
      const m = POD_DNS_NAME.exec(v);
      if (!m?.[1] || !m[3] || `${k}ADDR` in env) continue;
      const ip = this.peerIp(m[3], m[1]);
      if (!ip) throw new ConfigError('ContainerCreating', `waiting for Pod ${m[3]}/${m[1]} (${v}) to get an IP`);
      out[`${k}ADDR`] = { namespace: m[3], name: m[1], ip };
    }
    return out;
  }

  private peerIp(namespace: string, name: string): string | undefined {
    if (namespace === this.w.pod.metadata?.namespace && name === this.w.pod.metadata?.name) return this.w.ip;
    return this.w.rt.findPod(namespace, name)?.status?.podIP;
  }

  /**
   * There is no cluster DNS here, so a process got the IP of each Pod its env names (<NAME>ADDR).
   * When such a Pod comes back with another IP (recreated on another node), the process is
   * restarted, as the only way to hand it the new address (with DNS it would simply reconnect).
   */
  checkPeers(): void {
    const peers = this.record.peers;
    const proc = this.record.proc;
    if (!peers || !proc || this.peerRestart || this.stopRequested || this.w.aborted) return;
    const moved: string[] = [];
    for (const [k, ref] of Object.entries(peers)) {
      const nowIp = this.peerIp(ref.namespace, ref.name);
      if (nowIp && nowIp !== ref.ip) moved.push(`${k}: Pod ${ref.namespace}/${ref.name} moved from ${ref.ip} to ${nowIp}`);
    }
    if (!moved.length) return;
    const msg = `restarting container ${this.name} to hand it the new address (no cluster DNS locally): ${moved.join('; ')}`;
    this.peerRestart = msg;
    this.w.log.info('peer address changed', { container: this.name, message: msg });
    this.w.rt.event(this.w.pod, 'Normal', 'PeerAddressChanged', msg, this.name);
    this.signalStop(proc);
    const timer = setTimeout(() => { if (this.record.proc === proc) signalGroup(proc.pid, 'SIGKILL'); }, this.graceMs());
    timer.unref();
  }

  /**
   * A simulated ProxySQL learns its cluster's members from <SIM_STATE_DIR>/peers.json (no cluster
   * DNS here): every Pod of its StatefulSet by DNS name with its IP, itself included. Written before
   * each start and whenever a member appears, goes or moves (only when its content changes); the
   * running sim re-reads it, no restart.
   */
  syncPeerFile(): void {
    const dir = this.record.simStateDir;
    if (this.sim !== 'proxysql' || !dir || this.stopRequested || this.w.aborted || !this.w.ip) return;
    const peers = statefulSetPeers(this.w.pod, this.w.rt.allPods());
    peers[podDnsName(this.w.pod)] = this.w.ip; // ours, before the Pod's status says it
    try {
      if (writePeersFile(dir, peers)) this.w.log.info('SIMULATED ProxySQL peers file written', { container: this.name, peers });
    } catch (e) {
      this.w.log.warn('could not write the peers file', { container: this.name, dir, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private graceMs(): number {
    return (this.w.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  /**
   * The kubelet's stop signal: SIGINT to postgres (fast shutdown); SIGTERM to anything else, its
   * whole group (a script still running; a simulated server, which then closes and exits 0).
   */
  private signalStop(proc: ProcRecord): void {
    if (!sameProcessAlive(proc.pid, proc.startTime)) return;
    if (procStat(proc.pid)?.comm === 'postgres') signalPid(proc.pid, 'SIGINT');
    else signalGroup(proc.pid, 'SIGTERM');
  }

  /** Starts the process (after prepare() succeeded). */
  private launch(p: Prepared): void {
    const rec = this.record;
    const attempt = rec.restartCount;
    const raw = join(this.w.dir, 'logs', `${this.name}.${attempt}.out`);
    rmSync(raw, { force: true });
    rotateCriLog(this.currentLog, this.previousLog);
    if (p.kind === 'sim') {
      // Recorded (state.json) so that the peers file is kept up to date after an adoption too.
      rec.simStateDir = p.stateDir;
      this.syncPeerFile();
    }
    const child = p.kind === 'sim'
      ? runSimContainer({ env: p.env, logFile: raw })
      : runContainerScript({ script: p.script, version: this.version, env: p.env, logFile: raw });
    child.on('error', (e) => this.w.log.warn('container process error', { container: this.name, error: e.message }));
    const pid = child.pid ?? 0;
    const stat = procStat(pid);
    const startedAt = now();
    this.child = child;
    this.childExit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    rec.proc = { pid, startTime: stat?.startTime ?? 0, startedAt, raw, offset: 0 };
    rec.peers = p.peers;
    this.peerRestart = undefined;
    this.w.saveState();
    this.pump = new LogPump(raw, this.currentLog, 0);
    this.startPumping();
    this.state = { running: { startedAt: new Date(startedAt) } };
    this.ready = false;
    this.consecutiveFailures = 0;
    if (this.kind === 'main') this.w.anyStarted = true;
    const what = p.kind === 'sim' ? `${SIM_LABEL[p.sim]} ${p.env.SIM_VERSION}: opsflow's mysql-sim, not the real server` : `PostgreSQL ${this.version}`;
    this.w.log.info('container started', {
      container: this.name, pid, restartCount: rec.restartCount,
      ...(p.kind === 'sim' ? { simulated: SIM_LABEL[p.sim], version: p.env.SIM_VERSION } : { version: this.version }),
    });
    this.w.rt.event(this.w.pod, 'Normal', 'Started', `Started container ${this.name} (${what}, pid ${pid})`, this.name);
    this.w.writeStatus();
  }

  /** Waits until prepare() succeeds and launches; false when aborted. */
  private async startWhenPossible(): Promise<boolean> {
    let lastReason = '';
    while (!this.w.aborted) {
      try {
        const p = await this.prepare();
        if (this.w.aborted) return false;
        this.launch(p);
        return true;
      } catch (e) {
        const ce = e instanceof ConfigError ? e : new ConfigError('CreateContainerError', e instanceof Error ? e.message : String(e));
        const key = `${ce.reason}:${ce.message}`;
        if (key !== lastReason) {
          lastReason = key;
          this.w.log.warn('container cannot start yet', { container: this.name, reason: ce.reason, message: ce.message });
          if (ce.reason !== 'ContainerCreating') this.w.rt.event(this.w.pod, 'Warning', 'Failed', `${ce.reason}: ${ce.message}`, this.name);
        }
        this.setWaiting(ce.reason, ce.message);
        await abortableSleep(ce.reason === 'ContainerCreating' ? 500 : ce.reason === 'CreateContainerConfigError' ? 2_000 : 10_000, this.w.abort.signal);
      }
    }
    return false;
  }

  /** Resolves when the process ends (or the worker is aborted: undefined). */
  private waitExit(): Promise<Exit | undefined> {
    const proc = this.record.proc;
    if (!proc) return Promise.resolve({ code: null, signal: null, unknown: true });
    const signal = this.w.abort.signal;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (e: Exit | undefined) => {
        if (timer) clearInterval(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(e);
      };
      const onAbort = () => finish(undefined);
      signal.addEventListener('abort', onAbort);
      if (this.childExit) {
        void this.childExit.then((e) => finish(e));
      } else {
        // An adopted process is not our child: poll it (a zombie counts as ended).
        timer = setInterval(() => {
          if (!sameProcessAlive(proc.pid, proc.startTime)) finish({ code: null, signal: null, unknown: true });
        }, 250);
      }
    });
  }

  /** After the process ended: everything else in its group goes too, its log is flushed. */
  private async reap(exit: Exit): Promise<void> {
    const proc = this.record.proc;
    this.stopProbing();
    this.stopPumping();
    if (proc) {
      await killContainer(proc, this.tree, 10_000);
      this.flushLogs(proc);
    }
    const startedAt = proc ? new Date(proc.startedAt) : undefined;
    const code = exit.code ?? (exit.signal ? 128 + (signalNumbers[exit.signal] ?? 0) : 255);
    this.lastState = {
      terminated: {
        exitCode: code, ...(exit.signal ? { signal: signalNumbers[exit.signal] } : {}),
        reason: code === 0 ? 'Completed' : 'Error',
        ...(exit.unknown ? { message: 'exit status unknown: the process was adopted after a runtime restart, so it is not the runtime\'s child' } : {}),
        ...(!exit.unknown && this.readTerminationMessage() ? { message: this.readTerminationMessage() } : {}),
        startedAt, finishedAt: new Date(),
      },
    };
    this.state = this.lastState;
    this.ready = false;
    this.child = undefined;
    this.childExit = undefined;
    this.record.proc = undefined;
    this.w.saveState();
    this.w.writeStatus();
    this.w.log[code === 0 ? 'info' : 'warn']('container ended', { container: this.name, exitCode: code, signal: exit.signal });
  }

  private nextBackoff(ranMs: number): number {
    if (ranMs > 2 * this.w.rt.backoffMaxMs) this.backoffMs = this.w.rt.backoffBaseMs;
    const d = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.w.rt.backoffMaxMs);
    return d;
  }

  /** Main container: run, watch, restart with back-off until the Pod goes. */
  async supervise(): Promise<void> {
    const rec = this.record;
    if (rec.proc && !this.pump) {
      // Recorded but not adopted: it ended while the runtime was down. Count it as a restart.
      await this.killLeftovers();
      this.lastState = { terminated: { exitCode: 255, reason: 'Error', message: 'the process ended while the local runtime was not running' } };
      rec.restartCount += 1;
    }
    for (;;) {
      if (!this.record.proc) {
        if (!(await this.startWhenPossible())) return;
        this.startProbing();
      }
      const started = Date.parse(this.record.proc?.startedAt ?? now());
      const exit = await this.waitExit();
      if (!exit || this.w.aborted) return;
      await this.reap(exit);
      if (this.peerRestart) {
        this.state = { waiting: { reason: 'ContainerCreating', message: this.peerRestart } };
        this.w.writeStatus();
      } else {
        const delay = this.nextBackoff(Date.now() - started);
        this.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name} pod=${this.w.pod.metadata?.name}` } };
        this.w.writeStatus();
        this.w.rt.event(this.w.pod, 'Warning', 'BackOff', `Back-off ${delay} ms restarting failed container ${this.name}`, this.name);
        await abortableSleep(delay, this.w.abort.signal);
      }
      if (this.w.aborted) return;
      rec.restartCount += 1;
      this.w.saveState();
    }
  }

  /** Init container: run until it exits 0 (restarting with back-off on failure). */
  async runToCompletion(): Promise<boolean> {
    const rec = this.record;
    for (;;) {
      if (!(await this.startWhenPossible())) return false;
      this.w.writeStatus();
      const started = Date.now();
      const exit = await this.waitExit();
      if (!exit || this.w.aborted) return false;
      await this.reap(exit);
      if (exit.code === 0) {
        this.completed = true;
        this.w.writeStatus();
        return true;
      }
      if (this.w.pod.spec?.restartPolicy === 'Never') {
        this.w.rt.event(this.w.pod, 'Warning', 'Failed', `init container ${this.name} failed (exit ${exit.code})`, this.name);
        return false;
      }
      const delay = this.nextBackoff(Date.now() - started);
      this.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed init container=${this.name}` } };
      this.w.writeStatus();
      await abortableSleep(delay, this.w.abort.signal);
      if (this.w.aborted) return false;
      rec.restartCount += 1;
      this.w.saveState();
    }
  }

  private startPumping(): void {
    this.stopPumping();
    this.pumpTimer = setInterval(() => this.pumpNow(), 250);
  }

  private pumpNow(): void {
    const proc = this.record.proc;
    if (!this.pump || !proc) return;
    try {
      if (this.pump.pump()) {
        proc.offset = this.pump.offset;
        this.w.saveState();
      }
    } catch (e) {
      this.w.log.debug('log pump failed', { error: String(e) });
    }
  }

  private stopPumping(): void {
    if (this.pumpTimer) clearInterval(this.pumpTimer);
    this.pumpTimer = undefined;
  }

  /**
   * Readiness on podIP:port, fast until first Ready, then every periodSeconds: pg_isready's check for
   * Postgres; for a simulated server the readinessProbe's tcpSocket (a TCP connect).
   */
  private startProbing(): void {
    if (this.kind !== 'main') return;
    this.stopProbing();
    const probe = this.spec.readinessProbe;
    const periodMs = (probe?.periodSeconds ?? 10) * 1000;
    const timeoutMs = (probe?.timeoutSeconds ?? 1) * 1000;
    const failureThreshold = probe?.failureThreshold ?? 3;
    const port = this.probePort();
    const tick = async () => {
      this.probeTimer = undefined;
      if (this.w.aborted || !this.record.proc) return;
      const r: PingResult = this.sim ? await tcpProbe(this.w.ip, port, timeoutMs) : await pgPing(this.w.ip, port, timeoutMs);
      if (this.w.aborted || !this.record.proc) return;
      if (r.ok) {
        this.consecutiveFailures = 0;
        if (!this.ready) {
          this.ready = true;
          this.pumpNow(); // what the container said until Ready is in `kubectl logs` by then
          this.w.log.info('container ready', { container: this.name, ...(this.sim ? { simulated: SIM_LABEL[this.sim] } : {}) });
          this.w.writeStatus();
        }
      } else if (this.ready && ++this.consecutiveFailures >= failureThreshold) {
        this.ready = false;
        this.w.log.warn('readiness probe failed', { container: this.name, reason: r.reason });
        this.w.rt.event(this.w.pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${r.reason}`, this.name);
        this.w.writeStatus();
      }
      this.probeTimer = setTimeout(() => void tick(), this.ready ? periodMs : 250);
    };
    this.probeTimer = setTimeout(() => void tick(), 0);
  }

  private stopProbing(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  detach(): void {
    this.stopProbing();
    const proc = this.record.proc;
    if (this.pump && proc) {
      try {
        this.pump.pump();
        proc.offset = this.pump.offset;
      } catch {
        // best effort
      }
    }
    this.stopPumping();
    this.child?.unref();
  }

  /**
   * Stops the process like the kubelet: postgres gets SIGINT (fast shutdown); a container still in
   * its script (cloning, initdb) gets SIGTERM on its whole group; SIGKILL to the group after graceMs.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.stopProbing();
    const proc = this.record.proc;
    if (!proc) return;
    if (sameProcessAlive(proc.pid, proc.startTime)) {
      this.signalStop(proc);
      const deadline = Date.now() + graceMs;
      while (sameProcessAlive(proc.pid, proc.startTime) && Date.now() < deadline) await sleep(100);
    }
    await killContainer(proc, this.tree, 10_000);
    this.stopPumping();
    this.w.log.info('container stopped', { container: this.name, pid: proc.pid });
  }
}

const signalNumbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/**
 * Kills what is left of a container and waits until it is gone: its process group (the script and
 * what it runs), the descendants last seen of its main process (Postgres's children each lead a
 * session of their own, so the group does not hold them), and the main process's zombie: an adopted
 * process is not the runtime's child, so init reaps it, and until then kill(pid, 0) succeeds, which
 * makes a restarted Postgres think the postmaster of postmaster.pid still runs.
 */
async function killContainer(proc: ProcRecord, known: ReadonlyMap<number, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tree = new Map(known);
  if (sameProcessAlive(proc.pid, proc.startTime)) for (const d of descendants(proc.pid)) tree.set(d.pid, d.startTime);
  for (;;) {
    const leader = procStat(proc.pid);
    const ours = leader?.startTime === proc.startTime; // maybe a zombie
    // A group whose leader pid is now another process's is not ours; with no leader at all it is
    // (Linux does not reuse a pid while a process group of that id exists).
    const group = ours || !leader ? groupMembers(proc.pid) : [];
    const rest = [...tree].filter(([pid, st]) => sameProcessAlive(pid, st));
    if ((!ours && group.length === 0 && rest.length === 0) || Date.now() > deadline) return;
    if (group.length) signalGroup(proc.pid, 'SIGKILL');
    for (const [pid] of rest) signalPid(pid, 'SIGKILL');
    await sleep(100);
  }
}

/** For `npm run infra:down`: stops every Pod process recorded under podsDir (the cluster is going away). */
export async function killAllPodProcesses(podsDir: string): Promise<number> {
  if (!existsSync(podsDir)) return 0;
  let n = 0;
  for (const uid of readdirSync(podsDir)) {
    const state = readJson<PodState>(join(podsDir, uid, 'state.json'));
    for (const c of Object.values(state?.containers ?? {})) {
      if (c.proc && sameProcessAlive(c.proc.pid, c.proc.startTime)) {
        signalPid(c.proc.pid, 'SIGINT');
        n++;
      }
    }
  }
  const deadline = Date.now() + 10_000;
  for (const uid of readdirSync(podsDir)) {
    const state = readJson<PodState>(join(podsDir, uid, 'state.json'));
    for (const c of Object.values(state?.containers ?? {})) {
      if (!c.proc) continue;
      while (sameProcessAlive(c.proc.pid, c.proc.startTime) && Date.now() < deadline) await sleep(100);
      // Only a process that is still the recorded one (a dead pid may belong to someone else by now).
      if (sameProcessAlive(c.proc.pid, c.proc.startTime)) signalGroup(c.proc.pid, 'SIGKILL');
    }
  }
  return n;
}

/**
 * Writes a projected volume's files into a fresh directory and points dir (a symlink, as the
 * kubelet's ..data) at it with one atomic rename: a reader sees the old files or the new, never none.
 */
function writeVolumeFiles(dir: string, files: Array<{ path: string; content: Buffer; mode: number }>): void {
  const version = `${dir}..${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  mkdirSync(version, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const target = join(version, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content);
    chmodSync(target, f.mode);
  }
  let previous: string | undefined;
  try {
    previous = readlinkSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true }); // absent, or a plain directory of an older runtime
  }
  const link = `${dir}..link`;
  rmSync(link, { force: true });
  symlinkSync(version, link);
  renameSync(link, dir);
  if (previous && previous !== version) rmSync(previous, { recursive: true, force: true });
}

/** Whether dir holds exactly these files with this content. */
function sameFiles(dir: string, files: Array<{ path: string; content: Buffer }>): boolean {
  try {
    const present = readdirSync(`${dir}/`, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    return present === files.length && files.every((f) => readFileSync(join(dir, f.path)).equals(f.content));
  } catch {
    return false;
  }
}
