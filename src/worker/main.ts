// The worker process: runs opsflow's workflows and activities on the configured task queue.
// Temporal's runtime shuts the worker down gracefully on SIGINT/SIGTERM (in-flight activities finish
// or are retried elsewhere; workflows continue on any worker). The SDK's logs go through opsflow's
// JSON logger; Prometheus metrics are served on OPSFLOW_METRICS_ADDRESS.
import { NativeConnection, Worker } from '@temporalio/worker';
import { activityWait } from '../activities/heartbeat.ts';
import { withActivityContext } from '../activities/logging.ts';
import { createActivities } from '../activities/index.ts';
import { loadConfigOrExit } from '../config.ts';
import { loadKubeConfig, makeKube } from '../k8s/client.ts';
import { createLogger } from '../logger.ts';
import { describeConnection, temporalConnectionOptions } from '../temporal/connection.ts';
import { installRuntime } from '../temporal/runtime.ts';
import { connectClient } from '../temporal/client.ts';
import { runLookup } from '../temporal/run-lookup.ts';
import { workflowInterceptors, workflowsPath } from './workflow-modules.ts';


/** The longest one Kubernetes request waits for the API server (an activity's timeout may end it sooner). */
const KUBE_WAIT_MS = 10 * 60_000;

const log = createLogger({ component: 'worker' });
const config = loadConfigOrExit(log);
try {
  installRuntime(log, config.metrics.address);
} catch (e) {
  log.error(`OPSFLOW_METRICS_ADDRESS: cannot serve metrics on ${config.metrics.address}: ${(e as Error).message}`);
  process.exit(2);
}
const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
// Activities ask Temporal whether another request's run is still open (WaitForTurn).
const client = await connectClient(config.temporal);
// An API server that restarts or is not serving yet makes a request wait (heartbeating) instead of
// costing its activity an attempt; the activity's own timeout (spec.timeout, or 1 min for short
// steps) bounds the wait, a longer outage then counts as one failed attempt.
const kube = makeKube(loadKubeConfig(), {
  retryUnreachable: {
    budgetMs: KUBE_WAIT_MS,
    wait: activityWait,
    onRetry: ({ method, path, attempt, reason }) => {
      if (attempt % 10 === 0) log.warn('Kubernetes API server unreachable; the request waits for it', { method, path, attempt, reason });
    },
  },
});
const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  // OPSFLOW_WORKFLOW_BUNDLE: a bundle prebuilt with bundleWorkflowCode (workflows + interceptors), so
  // a (re)started worker skips bundling; crash tests restart workers many times.
  ...(process.env.OPSFLOW_WORKFLOW_BUNDLE
    ? { workflowBundle: { codePath: process.env.OPSFLOW_WORKFLOW_BUNDLE } }
    : { workflowsPath, interceptors: workflowInterceptors }),
  activities: createActivities({ kube, log: withActivityContext(log), config, runs: runLookup(client) }),
});
log.info('worker started', { ...describeConnection(config.temporal), taskQueue: config.temporal.taskQueue, metrics: `http://${config.metrics.address}/metrics` });
await worker.run();
await connection.close();
await client.connection.close();
log.info('worker stopped');
