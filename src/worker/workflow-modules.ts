// Where the worker's workflow bundle comes from: the workflows and the workflow interceptors (activity
// summaries; a Failed OpsRequest fails its run), and the worker options every opsflow worker shares
// (liveness heartbeats, graceful shutdown). Shared by the worker, the test workers and the replay
// test, so all run the same bundle.
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from '@temporalio/worker';
import { HEARTBEAT_THROTTLE, livenessInterceptor } from '../activities/liveness.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const workflowInterceptors = {
  workflowModules: [
    fileURLToPath(new URL('../workflows/summaries.ts', import.meta.url)),
    fileURLToPath(new URL('../workflows/failed-runs.ts', import.meta.url)),
  ],
};

/** What every opsflow worker (the process, the test workers) adds to Worker.create's options. */
export const workerOptions = {
  interceptors: { ...workflowInterceptors, activity: [livenessInterceptor] },
  maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
  // SIGTERM: in-flight activities are cancelled at once and retried on another worker (every step is
  // idempotent), instead of holding the shutdown until they end.
  shutdownGraceTime: 0,
} satisfies Partial<WorkerOptions>;
