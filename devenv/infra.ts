// `npm run infra:up|down`: start or stop the local stack (Temporal dev server + local cluster).
import { startStack } from './stack.ts';
import { stopCluster } from './cluster.ts';
import { stopRuntime } from './runtime/daemon.ts';
import { defaultPodsDir, killAllPodProcesses } from './runtime/pods.ts';
import { stopTemporal } from './temporal.ts';

const cmd = process.argv[2];
if (cmd === 'up') {
  const s = await startStack();
  process.stdout.write(`Temporal ${s.temporalAddress} (UI ${s.temporalUi}); KUBECONFIG=${s.kubeconfig}\n`);
} else if (cmd === 'down') {
  await stopRuntime();
  await killAllPodProcesses(defaultPodsDir());
  await stopCluster();
  await stopTemporal();
} else {
  process.stderr.write('usage: infra.ts up|down\n');
  process.exit(2);
}
