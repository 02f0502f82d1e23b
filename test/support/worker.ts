// An in-process worker with opsflow's real workflows and activities (some activities may be
// overridden by a test) on the shared dev server.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { runLookup } from '../../src/temporal/run-lookup.ts';
import { createActivities, type Activities } from '../../src/activities/index.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { workerOptions, workflowInterceptors, workflowsPath } from '../../src/worker/workflow-modules.ts';
import { kubeConfig } from './kube.ts';
import { temporalAddress } from './temporal.ts';

export { workflowInterceptors, workflowsPath };

export function testConfig(taskQueue: string) {
  return {
    sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 },
    temporal: { address: temporalAddress(), namespace: 'default', uiUrl: 'http://127.0.0.1:8233', taskQueue },
  };
}

export async function startWorker(taskQueue: string, overrides: Partial<Activities> = {}): Promise<{ stop: () => Promise<void> }> {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const clientConnection = await Connection.connect({ address: temporalAddress() });
  const runs = runLookup(new Client({ connection: clientConnection }));
  const real = createActivities({ kube: makeKube(kubeConfig()), log: createLogger({ component: 'test-worker' }, 'warn'), config: testConfig(taskQueue), pollMs: 200, runs });
  const worker = await Worker.create({ connection, taskQueue, workflowsPath, ...workerOptions, activities: { ...real, ...overrides } });
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
    },
  };
}
