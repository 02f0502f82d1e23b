// The whole local stack (Temporal dev server + local cluster): start what is not already healthy,
// and stop only what this process started.
import { kubeconfigPath, startCluster, stopCluster } from './cluster.ts';
import { startRuntime, stopRuntime } from './runtime/daemon.ts';
import { defaultPodsDir, killAllPodProcesses } from './runtime/pods.ts';
import { startTemporal, stopTemporal, temporalAddress, temporalUiUrl } from './temporal.ts';

export interface StackHandle {
  kubeconfig: string;
  temporalAddress: string;
  temporalUi: string;
  startedTemporal: boolean;
  startedCluster: boolean;
  startedRuntime: boolean;
}

export async function startStack(): Promise<StackHandle> {
  const startedTemporal = await startTemporal();
  let startedCluster = false;
  let startedRuntime = false;
  try {
    startedCluster = await startCluster();
    startedRuntime = await startRuntime(startedCluster);
  } catch (e) {
    if (startedCluster) await stopCluster();
    if (startedTemporal) await stopTemporal();
    throw e;
  }
  return { kubeconfig: kubeconfigPath, temporalAddress: temporalAddress(), temporalUi: temporalUiUrl(), startedTemporal, startedCluster, startedRuntime };
}

export async function stopStack(s: StackHandle): Promise<void> {
  if (process.env.OPSFLOW_KEEP_STACK === '1') return;
  if (s.startedRuntime) await stopRuntime();
  if (s.startedCluster) {
    // The Pods' processes (real postgres) go with the cluster.
    await killAllPodProcesses(defaultPodsDir());
    await stopCluster();
  }
  if (s.startedTemporal) await stopTemporal();
}
