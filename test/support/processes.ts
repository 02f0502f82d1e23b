// opsflow's real processes (worker, watcher) started as children, for end-to-end and crash tests.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stateDir } from '../../devenv/paths.ts';
import { spawnOpsflow } from '../../devenv/process.ts';

export interface OpsflowProcess {
  child: ChildProcess;
  logFile: string;
  /** SIGKILL: no shutdown hooks, in-flight work is simply lost, like a crashed pod. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

export interface ProcessEnv {
  temporalAddress: string;
  taskQueue: string;
  namespace: string;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** extra: more environment, winning over the defaults here (e.g. OPSFLOW_FAILPOINTS for a crash test). */
export function startOpsflowProcess(which: 'worker' | 'watcher', env: ProcessEnv, tag: string = which, extra: Record<string, string> = {}): OpsflowProcess {
  const logFile = join(stateDir, 'test-processes', `${env.namespace}-${tag}.log`);
  const child = spawnOpsflow(which, {
    TEMPORAL_ADDRESS: env.temporalAddress,
    OPSFLOW_TASK_QUEUE: env.taskQueue,
    OPSFLOW_WATCH_NAMESPACE: env.namespace,
    OPSFLOW_RESYNC_SECONDS: '5',
    ...extra,
  }, logFile);
  return {
    child,
    logFile,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
