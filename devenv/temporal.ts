// The local Temporal server: the real `temporal server start-dev` (SQLite file, Web UI) on loopback.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bins, stateDir } from './paths.ts';
import { execFileAsync, isAlive, log, readPid, startDaemon, stopDaemon, tcpAnswers, waitFor } from './process.ts';

/** opsflow's search attributes (src/temporal/client.ts), registered on the local server. */
export const OPSFLOW_SEARCH_ATTRIBUTES = ['OpsflowDatabase', 'OpsflowNamespace', 'OpsflowType', 'OpsflowTargetVersion', 'OpsflowPhase'];

export interface TemporalServerOptions {
  host: string;
  port: number;
  uiPort: number;
  dbFile: string;
  namespace: string;
}

export const defaultTemporal: TemporalServerOptions = {
  host: '127.0.0.1',
  port: Number(process.env.OPSFLOW_TEMPORAL_PORT ?? 7233),
  uiPort: Number(process.env.OPSFLOW_TEMPORAL_UI_PORT ?? 8233),
  dbFile: join(stateDir, 'temporal', 'temporal.sqlite'),
  namespace: 'default',
};

export const pidFile = (o: TemporalServerOptions) => `${o.dbFile}.pid`;
export const temporalLogFile = (o: TemporalServerOptions = defaultTemporal) => `${o.dbFile}.log`;
export const temporalAddress = (o: TemporalServerOptions = defaultTemporal) => `${o.host}:${o.port}`;
export const temporalUiUrl = (o: TemporalServerOptions = defaultTemporal) => `http://${o.host}:${o.uiPort}`;

export function requireTemporalCli(): string {
  if (!existsSync(bins.temporal)) {
    throw new Error(`the Temporal CLI is not installed at ${bins.temporal}: run \`bash infra/setup.sh\` (or \`npm test\`, which runs it)`);
  }
  return bins.temporal;
}

/** True when the frontend and the Web UI both answer. */
export async function temporalHealthy(o: TemporalServerOptions = defaultTemporal): Promise<boolean> {
  if (!(await tcpAnswers(o.host, o.port))) return false;
  try {
    const res = await fetch(`${temporalUiUrl(o)}/api/v1/namespaces/${o.namespace}`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts the dev server unless a healthy one answers already; returns whether this call started it. */
export async function startTemporal(o: TemporalServerOptions = defaultTemporal): Promise<boolean> {
  if (await temporalHealthy(o)) {
    log(`Temporal already answers at ${temporalAddress(o)}; reusing it`);
    await ensureSearchAttributes(o);
    return false;
  }
  const cli = requireTemporalCli();
  const pid = readPid(pidFile(o));
  if (pid !== undefined && isAlive(pid)) await stopDaemon(pidFile(o));
  log(`starting Temporal dev server on ${temporalAddress(o)} (UI ${temporalUiUrl(o)}, db ${o.dbFile})`);
  startDaemon(cli, [
    'server', 'start-dev',
    '--ip', o.host, '--port', String(o.port), '--ui-port', String(o.uiPort),
    '--db-filename', o.dbFile, '--namespace', o.namespace, '--log-level', 'warn',
    // opsflow's search attributes, so runs can be found by database and operation in the Web UI.
    ...OPSFLOW_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a}=Keyword`]),
  ], temporalLogFile(o), pidFile(o));
  await waitFor(`the Temporal server at ${temporalAddress(o)} (log: ${temporalLogFile(o)})`, () => temporalHealthy(o), 60_000);
  log(`Temporal is up: ${temporalAddress(o)}, Web UI ${temporalUiUrl(o)}`);
  return true;
}

/** A server started by an older checkout may lack a newer attribute (e.g. OpsflowPhase): add what is missing. */
async function ensureSearchAttributes(o: TemporalServerOptions): Promise<void> {
  if (!existsSync(bins.temporal)) return;
  const base = ['--address', temporalAddress(o), '--namespace', o.namespace];
  const { stdout } = await execFileAsync(bins.temporal, ['operator', 'search-attribute', 'list', ...base, '-o', 'json']);
  for (const a of OPSFLOW_SEARCH_ATTRIBUTES.filter((x) => !stdout.includes(`"${x}"`))) {
    log(`registering the search attribute ${a} on ${temporalAddress(o)}`);
    await execFileAsync(bins.temporal, ['operator', 'search-attribute', 'create', ...base, '--name', a, '--type', 'Keyword']);
  }
}

export async function stopTemporal(o: TemporalServerOptions = defaultTemporal): Promise<void> {
  await stopDaemon(pidFile(o));
  log('Temporal dev server stopped');
}

/** SIGKILLs the dev server (a crash: no shutdown, the SQLite file as it is); startTemporal() brings it back. */
export async function killTemporal(o: TemporalServerOptions = defaultTemporal): Promise<void> {
  const pid = readPid(pidFile(o));
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(-pid, 'SIGKILL');
  await waitFor(`Temporal (pid ${pid}) gone`, async () => !isAlive(pid), 10_000, 50);
}
