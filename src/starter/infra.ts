// `npm run infra:up|down`: start or stop the local stack (Temporal dev server + local cluster).
import { startStack } from '../../devenv/stack.ts';
import { stopCluster } from '../../devenv/cluster.ts';
import { stopRuntime } from '../../devenv/runtime/daemon.ts';
import { defaultPodsDir, killAllPodProcesses } from '../../devenv/runtime/pods.ts';
import { stopTemporal } from '../../devenv/temporal.ts';

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
