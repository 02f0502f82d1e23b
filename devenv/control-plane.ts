// Stops and starts components of the local cluster's control plane one at a time, for crash and
// chaos tests. kwokctl's binary runtime starts each component as a plain process, records its pid
// in <cluster dir>/pids/<name>.pid and its command (binary, args, working dir) in
// <cluster dir>/kwok.yaml; it has no command to restart one component and no supervisor. The
// kube-controller-manager and kube-scheduler EXIT when they cannot renew their leader lease (10 s
// without an API server), as they are meant to under a kubelet or systemd that restarts them; here
// reviveControlPlane() plays that supervisor.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clusterDir, clusterHealthy, kubectl } from './cluster.ts';
import { isAlive, log, readPid, sleep, waitFor } from './process.ts';

export interface Component {
  name: string;
  binary: string;
  args: string[];
  workDir: string;
}

const pidFile = (name: string) => join(clusterDir, 'pids', `${name}.pid`);

/** Pure: the components of a kwokctl cluster config (kwok.yaml, several YAML documents). */
export function parseComponents(kwokYaml: string): Component[] {
  for (const doc of parseAllDocuments(kwokYaml)) {
    const d = doc.toJS() as { kind?: string; components?: Array<Partial<Component>> };
    if (d?.kind === 'KwokctlConfiguration' && d.components) {
      return d.components.map((c) => ({ name: c.name ?? '', binary: c.binary ?? '', args: c.args ?? [], workDir: c.workDir ?? clusterDir }));
    }
  }
  return [];
}

export function components(): Component[] {
  return parseComponents(readFileSync(join(clusterDir, 'kwok.yaml'), 'utf8'));
}

function component(name: string): Component {
  const c = components().find((x) => x.name === name);
  if (!c?.binary) throw new Error(`no component ${name} in ${join(clusterDir, 'kwok.yaml')}; is the local cluster up?`);
  return c;
}

export function componentAlive(name: string): boolean {
  const pid = readPid(pidFile(name));
  return pid !== undefined && isAlive(pid);
}

/** Stops a component (SIGKILL by default, like a crash) and waits until it is gone. */
export async function stopComponent(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const pid = readPid(pidFile(name));
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await sleep(100);
  }
}

/** Whether 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function anyFreePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (!addr || typeof addr !== 'object') throw new Error('no free port');
  return addr.port;
}

/**
 * The component's args, with its --secure-port moved when another process took that port while it
 * was down (kwokctl picks the ports of each cluster on this machine side by side). Only the
 * controllers' own health/metrics endpoint listens there; nothing of opsflow's depends on it.
 */
async function argsForRestart(c: Component): Promise<string[]> {
  if (c.name === 'kube-apiserver' || c.name === 'etcd') return c.args;
  const out: string[] = [];
  for (const a of c.args) {
    const m = /^--secure-port=(\d+)$/.exec(a);
    out.push(m && !(await portFree(Number(m[1]))) ? `--secure-port=${await anyFreePort()}` : a);
  }
  return out;
}

/** Starts a component with the command kwokctl gave it, output appended to its usual log. */
export async function startComponent(name: string): Promise<void> {
  const c = component(name);
  const args = await argsForRestart(c);
  mkdirSync(join(clusterDir, 'logs'), { recursive: true });
  const out = openSync(join(clusterDir, 'logs', `${name}.log`), 'a');
  try {
    const child = spawn(c.binary, args, { cwd: c.workDir, env: process.env, detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined) throw new Error(`could not start ${c.binary}`);
    child.unref();
    writeFileSync(pidFile(name), String(child.pid));
  } finally {
    closeSync(out);
  }
}

/** Starts every component that is not running (the API server first, then waits until it is ready). Returns what it started. */
export async function reviveControlPlane(timeoutMs = 120_000): Promise<string[]> {
  const started: string[] = [];
  const order = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'];
  const all = components().sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  for (const c of all) {
    if (componentAlive(c.name)) continue;
    await startComponent(c.name);
    started.push(c.name);
    if (c.name === 'kube-apiserver') await waitFor('the kube-apiserver /readyz', clusterHealthy, timeoutMs, 250);
  }
  if (started.length) log(`control plane: started again ${started.join(', ')}`);
  return started;
}

/** The components that elect a leader on a Lease in kube-system, and exit when they cannot renew it. */
const electing = ['kube-controller-manager', 'kube-scheduler'];

async function leaseRenewedAt(name: string): Promise<number | undefined> {
  try {
    const out = await kubectl(['get', 'lease', '-n', 'kube-system', name, '-o', 'jsonpath={.spec.renewTime}', '--request-timeout=3s']);
    const t = Date.parse(out.trim());
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}

/**
 * After the API server came back (started at `since`): each electing controller either renews its
 * Lease (it survived the outage) or exits once its renew deadline passes, possibly seconds after
 * the API server is back, and is then started again. Waits until each one has renewed after
 * `since`, so no controller dies unnoticed after this returns. Returns what it started.
 */
export async function settleControllers(since: number, timeoutMs = 90_000): Promise<string[]> {
  const started: string[] = [];
  const pending = new Set(electing.filter((n) => components().some((c) => c.name === n)));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    for (const name of [...pending]) {
      if (!componentAlive(name)) {
        await startComponent(name);
        started.push(name);
      } else if (((await leaseRenewedAt(name)) ?? 0) > since) {
        pending.delete(name);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) throw new Error(`${[...pending].join(', ')} did not renew its lease within ${timeoutMs / 1000} s of the API server's restart (see ${join(clusterDir, 'logs')})`);
    await sleep(500);
  }
  return started;
}

/**
 * SIGKILL the kube-apiserver, stay down for downMs, start it, wait until ready; then make sure the
 * controllers that exit on a lost lease are back (as a kubelet would). Returns what was started.
 */
export async function restartApiserver(downMs: number): Promise<string[]> {
  await stopComponent('kube-apiserver');
  await sleep(downMs);
  const since = Date.now();
  await startComponent('kube-apiserver');
  await waitFor('the restarted kube-apiserver /readyz', clusterHealthy, 120_000, 250);
  const controllers = await settleControllers(since);
  const rest = await reviveControlPlane();
  if (controllers.length) log(`control plane: started again ${controllers.join(', ')}`);
  return ['kube-apiserver', ...controllers, ...rest];
}

/**
 * The kubelet's part for the components that exit on a lost lease, at any time: a slow API server
 * on a loaded machine (a lease renewal past its 10 s deadline) makes the kube-controller-manager
 * exit without any restart, and then no StatefulSet gets its Pods. Every intervalMs, a controller
 * found dead twice in a row while the API server runs is started again (twice: settleControllers,
 * during a deliberate restart, starts it first). Returns a stop function. Runs in the local runtime.
 */
export function superviseControllers(report: (started: string) => void, intervalMs = 2_000): () => void {
  const deadBefore = new Set<string>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        if (!componentAlive('kube-apiserver')) return;
        for (const name of [...electing, 'kwok-controller']) {
          if (!components().some((c) => c.name === name) || componentAlive(name)) {
            deadBefore.delete(name);
            continue;
          }
          if (!deadBefore.has(name)) {
            deadBefore.add(name);
            continue;
          }
          await startComponent(name);
          deadBefore.delete(name);
          report(name);
        }
      } catch {
        // the cluster is being created or deleted: try again next round
      } finally {
        busy = false;
      }
    })();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
