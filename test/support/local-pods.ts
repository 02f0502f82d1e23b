// Postgres "Pods" as local processes running opsflow's real bootstrap.sh on loopback IPs, without
// a cluster: for tests of the container scripts and of the SQL probes.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';
import { logTail, runContainerScript, stopContainer, killContainer, waitForPostgres, type PgTarget } from '../../devenv/postgres-process.ts';
import { sleep } from '../../devenv/process.ts';

export const bootstrap = join(repoDir, 'src', 'engines', 'postgres', 'scripts', 'bootstrap.sh');
// Quotes, a colon and a backslash: the passfile and conninfo escaping must hold.
export const password = `s3cr:et\\pa'ss"w0rd`;

/** Which binaries play the image: a pinned version ("16.15") or another installation's bin/. */
export type Bins = string | { binDir: string };
const binsOption = (b: Bins) => (typeof b === 'string' ? { version: b } : b);

export interface Pod {
  name: string;
  ip: string;
  dataDir: string;
  pgdata: string;
  configDir: string;
  logFile: string;
  child?: ChildProcess;
  target: PgTarget;
}

/** One scratch folder per suite; its Pods, started and stopped like the kubelet would. */
export class LocalPods {
  readonly root = mkdtempSync(join(tmpdir(), 'opsflow-pg-'));
  readonly pods = new Map<string, Pod>();
  private starts = 0;

  constructor(private readonly subnet: string) {}

  /** The Pod `name`, on loopback address <subnet>.<host>. */
  pod(name: string, host: number): Pod {
    let p = this.pods.get(name);
    if (!p) {
      const ip = `${this.subnet}.${host}`;
      const dataDir = join(this.root, name, 'pv');
      p = {
        name, ip, dataDir, pgdata: join(dataDir, 'data'), configDir: join(this.root, name, 'config'),
        logFile: join(this.root, name, 'container.log'),
        target: { host: ip, port: 5432, user: 'postgres', password },
      };
      mkdirSync(p.dataDir, { recursive: true });
      mkdirSync(p.configDir, { recursive: true });
      this.pods.set(name, p);
    }
    return p;
  }

  env(p: Pod, primary: Pod, extra: Record<string, string> = {}): Record<string, string> {
    return {
      POD_NAME: p.name, POD_IP: p.ip, PGPORT: '5432',
      DATA_DIR: p.dataDir, PGDATA: p.pgdata, CONFIG_DIR: p.configDir,
      // A fresh socket dir per container start, like the Pod's emptyDir.
      RUN_DIR: join(this.root, p.name, `run-${++this.starts}`),
      POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: password,
      PRIMARY_HOST: `${primary.name}.pg-pods.test.svc`, PRIMARY_HOSTADDR: primary.ip,
      ...extra,
    };
  }

  /** Starts bootstrap.sh for the Pod and waits until it serves queries. */
  async start(p: Pod, primary: Pod, bins: Bins, extra: Record<string, string> = {}): Promise<void> {
    writeFileSync(p.logFile, `--- start with ${JSON.stringify(bins)}\n`, { flag: 'a' });
    p.child = runContainerScript({ script: bootstrap, ...binsOption(bins), env: this.env(p, primary, extra), logFile: p.logFile });
    await waitForPostgres(p.target, { timeoutMs: 180_000, child: p.child, logFile: p.logFile });
  }

  async stop(p: Pod): Promise<void> {
    if (p.child) await stopContainer(p.child, 'SIGINT');
    p.child = undefined;
  }

  /** Kills everything; keeps the folder (with the logs) when a test failed or OPSFLOW_KEEP_TEST_DIRS=1. */
  async cleanup(failed: boolean): Promise<void> {
    for (const p of this.pods.values()) if (p.child) killContainer(p.child);
    await sleep(500);
    const keep = failed || process.env.OPSFLOW_KEEP_TEST_DIRS === '1';
    if (keep) process.stderr.write(`[opsflow] postgres test folder kept for inspection: ${this.root}\n`);
    else rmSync(this.root, { recursive: true, force: true });
  }

  logs(): string {
    return [...this.pods.values()].map((p) => `--- ${p.name} (${p.logFile}):\n${logTail(p.logFile, 25)}`).join('\n');
  }
}

