// opsflow's real processes (worker, watcher) started as children, for end-to-end and crash tests.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../../devenv/paths.ts';
import { spawnOpsflow } from '../../devenv/process.ts';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowInterceptors, workflowsPath } from '../../src/worker/workflow-modules.ts';

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

export interface RestartingWorkers {
  /** Worker processes started so far (the first ones and every replacement). */
  readonly starts: number;
  /** Stops replacing workers and SIGTERMs the ones still running. */
  stop(): Promise<void>;
}

/**
 * `replicas` worker processes, each replaced at once when it exits, like a Deployment's Pods: a
 * crash test's worker that kills itself at a failpoint (extra: OPSFLOW_FAILPOINTS…) comes back.
 */
export function restartingWorkers(env: ProcessEnv, extra: Record<string, string> = {}, replicas = 1): RestartingWorkers {
  const running = new Set<OpsflowProcess>();
  let starts = 0;
  let keep = true;
  const start = (): void => {
    const w = startOpsflowProcess('worker', env, `worker-${++starts}`, extra);
    running.add(w);
    w.child.once('exit', () => {
      running.delete(w);
      if (keep) start();
    });
  };
  for (let i = 0; i < replicas; i++) start();
  return {
    get starts() {
      return starts;
    },
    stop: async () => {
      keep = false;
      await Promise.all([...running].map((w) => w.stop()));
    },
  };
}

/**
 * Writes one prebuilt workflow bundle (workflows + interceptors) to `file` and returns the
 * environment that makes a worker process use it (OPSFLOW_WORKFLOW_BUNDLE): a restarted worker
 * starts in seconds, without bundling.
 */
export async function prebuiltWorkflowBundle(file: string): Promise<{ OPSFLOW_WORKFLOW_BUNDLE: string }> {
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: workflowInterceptors.workflowModules, logger: quiet });
  writeFileSync(file, code);
  return { OPSFLOW_WORKFLOW_BUNDLE: file };
}
