// Starts and stops the local data plane (devenv/runtime/main.ts) as a daemon beside the cluster.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { stringify } from 'yaml';
import { kubeconfigPath, kubectl, clusterName } from '../cluster.ts';
import { repoDir, stateDir } from '../paths.ts';
import { isAlive, log, readPid, startDaemon, stopDaemon } from '../process.ts';
import { storageClassManifests } from './volumes.ts';
import { defaultPodsDir, killAllPodProcesses } from './pods.ts';

const pidFile = join(stateDir, `${clusterName}.runtime.pid`);
export const runtimeLogFile = join(stateDir, `${clusterName}.runtime.log`);
export const volumesDir = join(stateDir, 'volumes', clusterName);

export function runtimeRunning(): boolean {
  const pid = readPid(pidFile);
  return pid !== undefined && isAlive(pid);
}

/** Starts the runtime unless it runs already; returns whether this call started it. */
export async function startRuntime(freshCluster: boolean): Promise<boolean> {
  // A runtime left from an earlier cluster holds that cluster's kubeconfig: replace it.
  if (freshCluster && runtimeRunning()) await stopRuntime();
  if (freshCluster) {
    // Pods of an earlier cluster: their processes (if any survived) and state go with it.
    await killAllPodProcesses(defaultPodsDir());
    rmSync(defaultPodsDir(), { recursive: true, force: true });
    rmSync(volumesDir, { recursive: true, force: true });
  }
  await kubectl(['apply', '-f', '-'], storageClassManifests.map((m) => stringify(m)).join('---\n'));
  if (runtimeRunning()) return false;
  startDaemon(process.execPath, ['--import', 'tsx', join(repoDir, 'devenv', 'runtime', 'main.ts')], runtimeLogFile, pidFile, {
    ...process.env, KUBECONFIG: kubeconfigPath, OPSFLOW_VOLUMES_DIR: volumesDir,
  });
  log(`local data plane started (log: ${runtimeLogFile})`);
  return true;
}

export async function stopRuntime(): Promise<void> {
  await stopDaemon(pidFile);
}
