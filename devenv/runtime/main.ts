// The local data plane of the dev cluster (dev/test infrastructure): the local volume provisioner
// (volumes.ts) and the pod runtime (pods.ts), the kubelet of opsflow's Pods on kwok's nodes.
// SIGTERM/SIGINT stop watching; the Pods' processes keep running and a restarted runtime adopts them.
import { join } from 'node:path';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { superviseControllers } from '../control-plane.ts';
import { stateDir } from '../paths.ts';
import { defaultPodsDir, PodRuntime } from './pods.ts';
import { LocalVolumeProvisioner } from './volumes.ts';

const log = createLogger({ component: 'local-runtime' });
const kube = makeKube();
const volumes = new LocalVolumeProvisioner(kube, process.env.OPSFLOW_VOLUMES_DIR ?? join(stateDir, 'volumes'), log);
const podsDir = defaultPodsDir();
const numberEnv = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const pods = new PodRuntime({
  kube, podsDir, log: log.child({ component: 'pod-runtime' }),
  backoffBaseMs: numberEnv('OPSFLOW_RUNTIME_BACKOFF_MS'), backoffMaxMs: numberEnv('OPSFLOW_RUNTIME_BACKOFF_MAX_MS'),
});
await volumes.start();
await pods.start();
log.info('local runtime started', { podsDir });
// The controllers exit on a lost lease (a slow API server under load); restart them as a kubelet would.
const stopSupervising = superviseControllers((name) => log.warn(`${name} had exited (lost its leader lease?): started it again`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    stopSupervising();
    Promise.all([volumes.stop(), pods.stop()]).then(() => process.exit(0), () => process.exit(1));
  });
}
