// The processes a chaos run harms: its own worker, watcher and Temporal dev server (own ports and
// SQLite file, so a SIGKILL disturbs nothing else on the machine), and the local cluster's
// kube-apiserver. Each fault is a SIGKILL (or a kube-apiserver stop), a pause, and a restart.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { join } from 'node:path';
import { restartApiserver } from '../../devenv/control-plane.ts';
import { stateDir } from '../../devenv/paths.ts';
import { sleep, waitFor } from '../../devenv/process.ts';
import { killTemporal, startTemporal, stopTemporal, type TemporalServerOptions } from '../../devenv/temporal.ts';
import { freePort } from '../../test/support/ports.ts';
import { startOpsflowProcess, type OpsflowProcess, type ProcessEnv } from '../../test/support/processes.ts';
import type { Fault } from './schedule.ts';

export class ChaosProcesses {
  private restarts = 0;

  private constructor(
    readonly env: ProcessEnv,
    readonly temporal: TemporalServerOptions,
    private worker: OpsflowProcess,
    private watcher: OpsflowProcess,
  ) {}

  static async start(namespace: string, runId: string): Promise<ChaosProcesses> {
    const dir = join(stateDir, 'chaos', runId);
    mkdirSync(dir, { recursive: true });
    const temporal: TemporalServerOptions = {
      host: '127.0.0.1', port: await freePort(), uiPort: await freePort(), namespace: 'default', dbFile: join(dir, 'temporal.sqlite'),
    };
    await startTemporal(temporal);
    const env: ProcessEnv = { temporalAddress: `127.0.0.1:${temporal.port}`, taskQueue: `chaos-${runId}`, namespace };
    return new ChaosProcesses(env, temporal, startOpsflowProcess('worker', env, 'chaos-worker-0'), startOpsflowProcess('watcher', env, 'chaos-watcher-0'));
  }

  /** Log files of the current worker and watcher (for a report). */
  logs(): { worker: string; watcher: string } {
    return { worker: this.worker.logFile, watcher: this.watcher.logFile };
  }

  /** Does the damage, waits downMs, restarts what it harmed; resolves when it is back. */
  async strike(f: Fault): Promise<void> {
    const n = ++this.restarts;
    switch (f.kind) {
      case 'kill-worker':
        await this.worker.kill();
        await sleep(f.downMs);
        this.worker = await ready(startOpsflowProcess('worker', this.env, `chaos-worker-${n}`), 'worker started');
        return;
      case 'kill-watcher':
        await this.watcher.kill();
        await sleep(f.downMs);
        this.watcher = await ready(startOpsflowProcess('watcher', this.env, `chaos-watcher-${n}`), 'watcher ready');
        return;
      case 'kill-temporal':
        await killTemporal(this.temporal);
        await sleep(f.downMs);
        await startTemporal(this.temporal);
        return;
      case 'restart-apiserver':
        await restartApiserver(f.downMs);
        return;
    }
  }

  /** The run's state as Temporal sees it (for runs that are not final): status, history length. */
  async describeRun(workflowId: string): Promise<string> {
    const connection = await Connection.connect({ address: this.env.temporalAddress, connectTimeout: 5_000 });
    try {
      const d = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      return `workflow ${workflowId} ${d.status.name}, ${d.historyLength} events`;
    } catch (e) {
      return `workflow ${workflowId}: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      await connection.close();
    }
  }

  async stop(): Promise<void> {
    await this.worker.stop().catch(() => undefined);
    await this.watcher.stop().catch(() => undefined);
    await stopTemporal(this.temporal);
  }
}

/**
 * Waits until a restarted process logs that it is up. On a loaded machine the worker's workflow
 * bundle alone can take minutes; the run's bound counts from here, not from the SIGKILL.
 */
async function ready(p: OpsflowProcess, line: string): Promise<OpsflowProcess> {
  await waitFor(`${p.logFile}: "${line}"`, async () => existsSync(p.logFile) && readFileSync(p.logFile, 'utf8').includes(`"msg":"${line}"`), 600_000, 500);
  return p;
}
