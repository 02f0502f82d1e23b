// A run whose workflow task keeps failing (a bug) shows it on the OpsRequest as a condition with the
// error instead of an eternal Pending; terminating it then ends the OpsRequest Failed, naming the
// close status. Real watcher process, an in-process worker serving a broken workflow, real dev server.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { WORKFLOW_TASK_FAILING } from '../../src/watcher/closed-runs.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { devServerEnv, temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';
import { logLines } from '../support/watcher-logs.ts';

describe('a workflow task that keeps failing is shown on the OpsRequest', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess;
  let stopWorker: () => Promise<void>;

  before(async () => {
    ns = await tempNamespace('wft');
    const taskQueue = uniqueTaskQueue('wft');
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({ connection, taskQueue, workflowsPath: fileURLToPath(new URL('../workflow/fixtures/broken-workflows.ts', import.meta.url)) });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
    watcher = startOpsflowProcess('watcher', { temporalAddress: temporalAddress(), taskQueue, namespace: ns.name }, 'watcher', { OPSFLOW_RUN_CHECK_SECONDS: '1' });
    await eventually('watcher ready', async () => (logLines(watcher.logFile).some((l) => l.msg === 'watcher ready') ? true : undefined), 300_000, 200);
  });
  after(async () => {
    await watcher?.stop();
    await stopWorker?.();
    await ns?.remove();
  });

  it('WorkflowTaskFailing True with the error, then Failed naming TERMINATED once the run is terminated', async () => {
    const o = objects(ns.name);
    const input = await o.pgops('broken', { type: 'Restart', databaseRef: { name: 'nodb' } });
    const cond = await eventually('WorkflowTaskFailing condition', async () => {
      const c = (await o.ops('broken')).status?.conditions?.find((x) => x.type === WORKFLOW_TASK_FAILING);
      return c?.status === 'True' ? c : undefined;
    }, 120_000, 500);
    assert.match(cond.message, /the workflow task keeps failing \(attempt \d+\): .*a bug in the workflow/);
    const env = await devServerEnv();
    await env.client.workflow.getHandle(workflowIdFor(input)).terminate('stuck run terminated by the test');
    const x = await o.finished('PostgresOpsRequest', 'broken', 30_000);
    assert.equal(x.status?.phase, 'Failed');
    assert.match(x.status?.message ?? '', /\(TERMINATED\): .*stuck run terminated by the test/);
    await env.teardown();
  });
});
