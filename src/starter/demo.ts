// `npm run demo`: brings up the local stack (Temporal dev server with its Web UI, the local
// Kubernetes control plane) and prints where to reach them. It leaves them running; stop them
// with `npm run infra:down`.
import { startStack } from '../../devenv/stack.ts';

const stack = await startStack();
process.stdout.write([
  '',
  'opsflow local stack is up:',
  `  Temporal:     ${stack.temporalAddress}`,
  `  Temporal UI:  ${stack.temporalUi}`,
  `  KUBECONFIG:   ${stack.kubeconfig}`,
  '',
  `Try: KUBECONFIG=${stack.kubeconfig} kubectl get nodes -o wide`,
  'Stop everything with: npm run infra:down',
  '',
].join('\n'));
