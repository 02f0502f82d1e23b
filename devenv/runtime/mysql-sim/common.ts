// SIMULATED database servers, dev/test infrastructure only: what the simulated SingleStore and ProxySQL
// share: their environment, state persisted as JSON on the Pod's volume, peer discovery (env SIM_PEERS
// and a peers file the local pod runtime may rewrite at any time), and small helpers.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { connect, isIPv4, type Socket } from 'node:net';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../src/logger.ts';

export interface SimEnv {
  kind: 'singlestore' | 'proxysql' | 'mysql';
  version: string;
  host: string;
  podName: string;
  stateDir: string;
  peersFile: string;
  env: NodeJS.ProcessEnv;
}

export class ConfigError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new ConfigError(`${name} must be set`);
  return v;
}

/** The version of an image such as `singlestore/node:alma-8.7.10` or `proxysql/proxysql:2.6.3`. */
export function imageVersion(image: string): string | undefined {
  const tag = /:([^:/@]+)(@.*)?$/.exec(image)?.[1];
  return tag ? /(\d+\.\d+(?:\.\d+)?)/.exec(tag)?.[1] : undefined;
}

export function readSimEnv(env: NodeJS.ProcessEnv): SimEnv {
  const kind = required(env, 'SIM_KIND');
  if (kind !== 'singlestore' && kind !== 'proxysql' && kind !== 'mysql') throw new ConfigError(`SIM_KIND must be singlestore, proxysql or mysql, not ${kind}`);
  const version = env.SIM_VERSION || (env.SIM_IMAGE ? imageVersion(env.SIM_IMAGE) : undefined);
  if (!version) throw new ConfigError('SIM_VERSION (or SIM_IMAGE with a version tag) must be set');
  const host = env.SIM_HOST || env.POD_IP;
  if (!host) throw new ConfigError('SIM_HOST (or POD_IP) must be set');
  if (!isIPv4(host)) throw new ConfigError(`SIM_HOST must be an IPv4 address, not ${host}`);
  const stateDir = required(env, 'SIM_STATE_DIR');
  mkdirSync(stateDir, { recursive: true });
  return {
    kind, version, host,
    podName: env.POD_NAME || env.HOSTNAME || host,
    stateDir,
    peersFile: env.SIM_PEERS_FILE || join(stateDir, 'peers.json'),
    env,
  };
}

export function simLogger(e: SimEnv): Logger {
  return createLogger({ component: 'mysql-sim', simulated: e.kind, pod: e.podName });
}

/** A JSON document in the state dir, written atomically (temp file + rename). */
export class JsonFile<T> {
  constructor(readonly path: string) {}
  read(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    return JSON.parse(readFileSync(this.path, 'utf8')) as T;
  }
  write(value: T): void {
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

/** `a=1.2.3.4,b=5.6.7.8` → {a: '1.2.3.4', b: '5.6.7.8'} (an entry without `=ip` has no address yet). */
export function parsePeerList(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(/[,\s]+/).filter(Boolean)) {
    const [name, ip] = part.split('=', 2);
    if (name) out[name] = ip ?? '';
  }
  return out;
}

const firstLabel = (name: string) => name.split('.', 1)[0] ?? name;

/**
 * The members of this database and their addresses: the peers file (JSON {"name": "ip"}) when it
 * exists, else env SIM_PEERS. The file is re-read whenever it changes, so a runtime can move a peer
 * (a Pod recreated with another IP) or add/remove members without restarting anyone. Names are the
 * peers' host names (a Pod's DNS name `<pod>.<svc>.<ns>.svc` or just `<pod>`); an empty address
 * means "member, no IP yet".
 */
export class Peers {
  private map: Record<string, string>;
  private stamp = '';
  constructor(private readonly file: string, envList: string | undefined, private readonly log: Logger) {
    this.map = parsePeerList(envList ?? '');
    this.refresh();
  }

  /** Re-reads the file if it changed; true when the peer map changed. */
  refresh(): boolean {
    let stamp = '';
    try {
      const st = statSync(this.file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      return false;
    }
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      let next: Record<string, string>;
      if (Array.isArray(raw)) next = Object.fromEntries(raw.map((p: { name: string; ip?: string }) => [p.name, p.ip ?? '']));
      else if (raw && typeof raw === 'object') next = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
      else throw new Error('not a JSON object');
      const changed = JSON.stringify(next) !== JSON.stringify(this.map);
      this.map = next;
      if (changed) this.log.info('peers changed', { peers: next });
      return changed;
    } catch (e) {
      this.log.warn('cannot read the peers file; keeping the previous peers', { file: this.file, error: e instanceof Error ? e.message : String(e) });
      return false;
    }
  }

  all(): Record<string, string> {
    return { ...this.map };
  }

  /** The address of `name`: an IP literal as is, else the peer of that name (or of the same first label). */
  resolve(name: string): string | undefined {
    if (isIPv4(name)) return name;
    const exact = this.map[name];
    if (exact) return exact;
    const label = firstLabel(name);
    for (const [k, ip] of Object.entries(this.map)) if (ip && firstLabel(k) === label) return ip;
    return undefined;
  }
}

export { firstLabel };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function intEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer, not ${v}`);
  return n;
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * mysql2's `stream` option for a connection whose source address is this Pod's IP (mysql2 ignores
 * `localAddress`): a peer sees where a member connects from, as it would in a Pod network.
 */
export function fromPodIp(host: string, port: number, localAddress: string): () => Socket {
  return () => {
    const socket = connect({ host, port, localAddress });
    socket.setNoDelay(true);
    return socket;
  };
}
