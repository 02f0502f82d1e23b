// The local data plane of the dev cluster (dev/test infrastructure): today the local volume
// provisioner; the pod runtime that runs Pods as local processes joins it here.
import { join } from 'node:path';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { stateDir } from '../paths.ts';
import { LocalVolumeProvisioner } from './volumes.ts';

const log = createLogger({ component: 'local-runtime' });
const kube = makeKube();
const volumes = new LocalVolumeProvisioner(kube, process.env.OPSFLOW_VOLUMES_DIR ?? join(stateDir, 'volumes'), log);
await volumes.start();
log.info('local runtime started');
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => { volumes.stop().then(() => process.exit(0), () => process.exit(1)); });
}
