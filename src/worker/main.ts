// The worker process: runs opsflow's workflows and activities on the configured task queue.
// Temporal's runtime shuts the worker down gracefully on SIGINT/SIGTERM (in-flight activities finish
// or are retried elsewhere; workflows continue on any worker).
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { loadConfig } from '../config.ts';
import { makeKube } from '../k8s/client.ts';
import { createLogger } from '../logger.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

const log = createLogger({ component: 'worker' });
const config = loadConfig();
const connection = await NativeConnection.connect({ address: config.temporal.address });
const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  workflowsPath,
  activities: createActivities({ kube: makeKube(), log, config }),
});
log.info('worker started', { temporal: config.temporal.address, taskQueue: config.temporal.taskQueue });
await worker.run();
await connection.close();
log.info('worker stopped');
