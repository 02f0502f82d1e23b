// The whole local stack (Temporal dev server + local cluster): start what is not already healthy,
// and stop only what this process started.
import { kubeconfigPath, startCluster, stopCluster } from './cluster.ts';
import { startTemporal, stopTemporal, temporalAddress, temporalUiUrl } from './temporal.ts';

export interface StackHandle {
  kubeconfig: string;
  temporalAddress: string;
  temporalUi: string;
  startedTemporal: boolean;
  startedCluster: boolean;
}

export async function startStack(): Promise<StackHandle> {
  const startedTemporal = await startTemporal();
  let startedCluster = false;
  try {
    startedCluster = await startCluster();
  } catch (e) {
    if (startedTemporal) await stopTemporal();
    throw e;
  }
  return { kubeconfig: kubeconfigPath, temporalAddress: temporalAddress(), temporalUi: temporalUiUrl(), startedTemporal, startedCluster };
}

export async function stopStack(s: StackHandle): Promise<void> {
  if (process.env.OPSFLOW_KEEP_STACK === '1') return;
  if (s.startedCluster) await stopCluster();
  if (s.startedTemporal) await stopTemporal();
}
