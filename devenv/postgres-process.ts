// Runs opsflow's Postgres container scripts (src/engines/postgres/scripts) as local processes, the
// way the official postgres image would: `bash <script>` with one PostgreSQL version's binaries first
// on PATH, the Pod's env, output to a log file. Used by the script tests and the local pod runtime.
//
// PostgreSQL refuses to run as root (initdb, postgres, pg_upgrade all check). When this process is
// root, the script runs in a new user namespace where it is an ordinary user (the host's `postgres`
// account if there is one, else `nobody`) that maps back to root outside: no account, sudo or chown
// is needed and the files it writes stay owned by the caller. (`unshare` from util-linux ≥ 2.38.)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { postgresEnv } from './postgres.ts';
import { sleep } from './process.ts';

export interface ContainerScriptOptions {
  /** Path of the script, e.g. src/engines/postgres/scripts/bootstrap.sh. */
  script: string;
  /** The PostgreSQL version whose binaries play the image: "16.15" or "16.15.0" (see postgres.ts). */
  version?: string;
  /** Or any other installation's bin/ (e.g. Debian's /usr/lib/postgresql/15/bin, the official image's layout). */
  binDir?: string;
  /** The container's environment (the only variables it gets besides PATH and LD_LIBRARY_PATH). */
  env: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** When set, stderr goes here instead of logFile. */
  stderrFile?: string;
}

/** The uid/gid a root caller's scripts run as inside their user namespace. */
function sandboxIds(): { uid: number; gid: number } {
  const passwd = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8').split('\n') : [];
  for (const name of ['postgres', 'nobody']) {
    const f = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (f?.[2] && f[3] && Number(f[2]) !== 0) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return { uid: 65534, gid: 65534 };
}

let unshareChecked = false;
function checkUnshare(ids: { uid: number; gid: number }): void {
  if (unshareChecked) return;
  const r = spawnSync('unshare', ['--user', `--map-user=${ids.uid}`, `--map-group=${ids.gid}`, '--', 'true'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`PostgreSQL cannot run as root and \`unshare --user --map-user=${ids.uid}\` failed here (${r.error?.message ?? r.stderr.trim()}): ` +
      'run the tests as a non-root user, or allow user namespaces (util-linux ≥ 2.38, kernel.unprivileged_userns_clone=1)');
  }
  unshareChecked = true;
}

/**
 * Starts `bash <script>` in its own process group; returns the child (its pid becomes postgres's
 * after the script's `exec postgres`). Stop it with stopContainer() or killContainer().
 */
export function runContainerScript(opts: ContainerScriptOptions): ChildProcess {
  const basePath = '/usr/local/bin:/usr/bin:/bin';
  if ((opts.version === undefined) === (opts.binDir === undefined)) throw new Error('runContainerScript: give either version or binDir');
  const env = { ...opts.env, ...(opts.version !== undefined ? postgresEnv(opts.version, basePath) : { PATH: `${opts.binDir}:${basePath}` }) };
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, 'a');
  const err = opts.stderrFile ? openSync(opts.stderrFile, 'a') : out;
  let cmd = 'bash';
  let args = [opts.script];
  if (process.getuid?.() === 0) {
    const ids = sandboxIds();
    checkUnshare(ids);
    cmd = 'unshare';
    args = ['--user', `--map-user=${ids.uid}`, `--map-group=${ids.gid}`, '--', 'bash', opts.script];
  }
  try {
    const child = spawn(cmd, args, { env, stdio: ['ignore', out, err], detached: true });
    if (child.pid === undefined) throw new Error(`could not start ${opts.script}`);
    return child;
  } finally {
    closeSync(out);
    if (err !== out) closeSync(err);
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs a script to completion (e.g. copy-old-binaries.sh) and returns how it exited. */
export async function runContainerScriptToEnd(opts: ContainerScriptOptions, timeoutMs = 120_000): Promise<Exit> {
  const child = runContainerScript(opts);
  const timer = setTimeout(() => killContainer(child), timeoutMs);
  try {
    return await exited(child);
  } finally {
    clearTimeout(timer);
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILLs the child's whole process group (postgres and its backends, or the script and its tools). */
export function killContainer(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Stops like the kubelet: a signal to the main process (SIGINT = postgres fast shutdown, SIGTERM =
 * smart), then SIGKILL to the group after timeoutMs. Resolves with the exit.
 */
export async function stopContainer(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT', timeoutMs = 60_000): Promise<Exit> {
  if (isRunning(child) && child.pid !== undefined) {
    try {
      process.kill(child.pid, signal);
    } catch {
      // exited meanwhile
    }
    const timer = setTimeout(() => killContainer(child), timeoutMs);
    try {
      await exited(child);
    } finally {
      clearTimeout(timer);
    }
  }
  killContainer(child); // anything left in the group
  return exited(child);
}

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

/** One connection, one function, closed afterwards. */
export async function withClient<T>(target: PgTarget, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...target, database: target.database ?? 'postgres', connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined); // a server going away must not crash the test process
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs one statement and returns its rows. */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(target: PgTarget, sql: string, params: unknown[] = []): Promise<R[]> {
  return withClient(target, async (c) => (await c.query<R>(sql, params)).rows);
}

/** The last lines of a log file (for error messages). */
export function logTail(file: string, lines = 40): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Waits until host:port accepts a Postgres connection and answers `SELECT 1` (a hot standby counts).
 * With `child`, fails at once when that process exits, quoting its log.
 */
export async function waitForPostgres(target: PgTarget, opts: { timeoutMs?: number; child?: ChildProcess; logFile?: string } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (opts.child && !isRunning(opts.child)) {
      const how = opts.child.exitCode !== null ? `exit code ${opts.child.exitCode}` : `signal ${opts.child.signalCode}`;
      throw new Error(`the process meant to serve ${target.host}:${target.port} ended (${how})` + (opts.logFile ? `; its log ends with:\n${logTail(opts.logFile)}` : ''));
    }
    try {
      await query(target, 'SELECT 1');
      return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for Postgres on ${target.host}:${target.port} (last error: ${last})` +
        (opts.logFile ? `; log:\n${logTail(opts.logFile)}` : ''));
    }
    await sleep(250);
  }
}
