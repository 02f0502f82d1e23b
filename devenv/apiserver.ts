// Stops and starts the local cluster's kube-apiserver alone (etcd and the other components keep
// running), for crash and chaos tests. kwokctl's binary runtime starts each component as a plain
// process and records its pid in <cluster dir>/pids/kube-apiserver.pid; kwokctl has no command to
// restart one component, so the process's own command line, working directory and environment are
// read from /proc before it is stopped, and the same command is started again.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDir, clusterHealthy } from './cluster.ts';
import { isAlive, readPid, sleep, waitFor } from './process.ts';

const pidFile = join(clusterDir, 'pids', 'kube-apiserver.pid');
const logFile = join(clusterDir, 'logs', 'kube-apiserver.log');

/** What it takes to start the same kube-apiserver again. */
export interface ApiserverCommand {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function apiserverPid(): number | undefined {
  return readPid(pidFile);
}

/** Pure: a /proc NUL-separated list (cmdline, environ) as strings. */
export function splitNul(raw: string): string[] {
  return raw.split('\0').filter((s) => s.length > 0);
}

function captureCommand(pid: number): ApiserverCommand {
  const argv = splitNul(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  if (!argv[0]?.endsWith('kube-apiserver')) throw new Error(`pid ${pid} in ${pidFile} is not a kube-apiserver (${argv[0] ?? 'no command line'})`);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of splitNul(readFileSync(`/proc/${pid}/environ`, 'utf8'))) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { argv, cwd: readlinkSync(`/proc/${pid}/cwd`), env };
}

/** Stops the running kube-apiserver (SIGKILL by default, like a crash) and returns how to start it again. */
export async function stopApiserver(signal: NodeJS.Signals = 'SIGKILL'): Promise<ApiserverCommand> {
  const pid = apiserverPid();
  if (pid === undefined || !isAlive(pid)) throw new Error(`no running kube-apiserver (pid file ${pidFile}); is the local cluster up?`);
  const cmd = captureCommand(pid);
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await sleep(100);
  }
  return cmd;
}

/** Starts the kube-apiserver again with the command it ran before and waits until /readyz says ok. */
export async function startApiserver(cmd: ApiserverCommand, timeoutMs = 120_000): Promise<void> {
  const [bin, ...args] = cmd.argv;
  if (!bin) throw new Error('startApiserver: empty command line');
  mkdirSync(join(clusterDir, 'logs'), { recursive: true });
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(bin, args, { cwd: cmd.cwd, env: cmd.env, detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined) throw new Error(`could not start ${bin}`);
    child.unref();
    writeFileSync(pidFile, String(child.pid));
  } finally {
    closeSync(out);
  }
  await waitFor('the restarted kube-apiserver /readyz', clusterHealthy, timeoutMs, 250);
}

/** Stop (SIGKILL), stay down for downMs, start again and wait until it is ready. */
export async function restartApiserver(downMs: number): Promise<void> {
  const cmd = await stopApiserver();
  await sleep(downMs);
  await startApiserver(cmd);
}
