// The worker process: runs opsflow's workflows and activities on the configured task queue.
// Temporal's runtime shuts the worker down gracefully on SIGINT/SIGTERM (in-flight activities finish
// or are retried elsewhere; workflows continue on any worker). The SDK's logs go through opsflow's
// JSON logger; Prometheus metrics are served on OPSFLOW_METRICS_ADDRESS.
import { NativeConnection, Worker } from '@temporalio/worker';
import { withActivityContext } from '../activities/logging.ts';
import { createActivities } from '../activities/index.ts';
import { loadConfigOrExit } from '../config.ts';
import { makeKube } from '../k8s/client.ts';
import { createLogger } from '../logger.ts';
import { describeConnection, temporalConnectionOptions } from '../temporal/connection.ts';
import { installRuntime } from '../temporal/runtime.ts';
import { connectClient } from '../temporal/client.ts';
import { runLookup } from '../temporal/run-lookup.ts';
import { workerOptions, workflowsPath } from './workflow-modules.ts';


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
const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  ...workerOptions,
  maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
  // OPSFLOW_WORKFLOW_BUNDLE: a bundle prebuilt with bundleWorkflowCode (workflows + interceptors), so
  // a (re)started worker skips bundling; crash tests restart workers many times.
  ...(process.env.OPSFLOW_WORKFLOW_BUNDLE
    ? { workflowBundle: { codePath: process.env.OPSFLOW_WORKFLOW_BUNDLE } }
    : { workflowsPath }),
  activities: createActivities({ kube: makeKube(), log: withActivityContext(log), config, runs: runLookup(client) }),
});
log.info('worker started', { ...describeConnection(config.temporal), taskQueue: config.temporal.taskQueue, metrics: `http://${config.metrics.address}/metrics` });
await worker.run();
await connection.close();
await client.connection.close();
log.info('worker stopped');
