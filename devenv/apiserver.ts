// Stopping and starting ONLY the local cluster's kube-apiserver (dev and test infrastructure), for
// tests of what opsflow does while the API server is away. kwokctl's binary runtime runs it as a
// plain process; we find it by its binary and this cluster's directory in its command line, keep
// its exact arguments and working directory, and start the same command again. etcd and the
// other components keep running, so nothing is lost.
import { mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterHealthy, clusterName } from './cluster.ts';
import { bins, stateDir } from './paths.ts';
import { isAlive, sleep, startDaemon, waitFor } from './process.ts';

const clusterDir = join(stateDir, 'kwok', 'clusters', clusterName);
const savedCommand = join(clusterDir, 'kube-apiserver.command.json');

interface Command { args: string[]; cwd: string }

/** The running kube-apiserver of this cluster: pid and command, or undefined. */
export function findApiserver(): { pid: number; command: Command } | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const exe = readlinkSync(`/proc/${entry}/exe`);
      if (exe !== bins.kubeApiserver) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      if (!args.some((a) => a.includes(clusterDir))) continue; // another cluster's API server
      return { pid: Number(entry), command: { args: args.slice(1), cwd: readlinkSync(`/proc/${entry}/cwd`) } };
    } catch {
      // a process that ended meanwhile, or one we may not inspect
    }
  }
  return undefined;
}

/** Stops the kube-apiserver (SIGKILL by default: a crash; SIGTERM: a graceful restart) and waits until it is gone. */
export async function stopApiserver(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
  const running = findApiserver();
  if (!running) throw new Error(`no kube-apiserver of cluster ${clusterName} is running`);
  writeFileSync(savedCommand, JSON.stringify(running.command));
  process.kill(running.pid, signal);
  const deadline = Date.now() + 30_000;
  while (isAlive(running.pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(running.pid)) process.kill(running.pid, 'SIGKILL');
}

/** Starts the kube-apiserver again with the arguments it ran with, and waits for /readyz. */
export async function startApiserver(): Promise<void> {
  const c = JSON.parse(readFileSync(savedCommand, 'utf8')) as Command;
  const prev = process.cwd();
  mkdirSync(join(clusterDir, 'pids'), { recursive: true });
  process.chdir(c.cwd);
  try {
    startDaemon(bins.kubeApiserver, c.args, join(clusterDir, 'logs', 'kube-apiserver.log'), join(clusterDir, 'pids', 'kube-apiserver.pid'));
  } finally {
    process.chdir(prev);
  }
  await waitFor('the kube-apiserver /readyz after a restart', clusterHealthy, 90_000, 250);
}

/** Stops the kube-apiserver for `ms`, then starts it again. */
export async function apiserverOutage(ms: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
  await stopApiserver(signal);
  await sleep(ms);
  await startApiserver();
}
