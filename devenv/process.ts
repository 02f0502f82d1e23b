// Small helpers to run the local stack's long-lived processes and wait for them.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoDir } from './paths.ts';
import { connect } from 'node:net';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

export function log(message: string): void {
  process.stderr.write(`\x1b[1m[opsflow]\x1b[0m ${message}\n`);
}

/** Starts a detached daemon whose output goes to logFile; its pid is written to pidFile. */
export function startDaemon(cmd: string, args: string[], logFile: string, pidFile: string, env?: NodeJS.ProcessEnv): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env: env ?? process.env });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  return child.pid;
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM (then SIGKILL after graceMs) to a daemon started by startDaemon. */
export async function stopDaemon(pidFile: string, graceMs = 10_000): Promise<void> {
  const pid = readPid(pidFile);
  if (pid !== undefined && isAlive(pid)) {
    process.kill(-pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) process.kill(-pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tcpAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls fn until it returns a value other than undefined (errors count as "not yet"); the error names what was awaited and the last failure. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** Polls check() until it returns true. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<void> {
  await eventually(what, async () => ((await check()) ? true : undefined), timeoutMs, intervalMs);
}

/** Starts one of opsflow's own processes (`src/<which>/main.ts`) on this Node, output to logFile (or nowhere). */
export function spawnOpsflow(which: 'worker' | 'watcher', env: Record<string, string>, logFile?: string): ChildProcess {
  let out: number | 'ignore' = 'ignore';
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    out = openSync(logFile, 'a');
  }
  // Several workers run side by side here (tests, bench, other checkouts): each serves its metrics on
  // an ephemeral port unless told otherwise, so none fails on a taken 9464.
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoDir, 'src', which, 'main.ts')], {
    cwd: repoDir, stdio: ['ignore', out, out], env: { ...process.env, OPSFLOW_METRICS_ADDRESS: process.env.OPSFLOW_METRICS_ADDRESS ?? '127.0.0.1:0', ...env },
  });
  if (typeof out === 'number') closeSync(out);
  return child;
}
