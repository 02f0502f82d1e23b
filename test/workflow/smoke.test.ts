// Smoke test of the workflow layer: a workflow with one activity runs to completion on the real
// Temporal dev server, and timers run on the real time-skipping test server.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerEnv, timeSkippingEnv, uniqueTaskQueue } from '../support/temporal.ts';
import { createSmokeActivities } from './fixtures/smoke-activities.ts';

const workflowsPath = fileURLToPath(new URL('./fixtures/smoke-workflows.ts', import.meta.url));

describe('Temporal (real dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  before(async () => { env = await devServerEnv(); });
  after(async () => { await env?.teardown(); });

  it('runs a workflow with one activity to completion and records it in history', async () => {
    const calls: string[] = [];
    const taskQueue = uniqueTaskQueue('smoke');
    const worker = await Worker.create({
      connection: env.nativeConnection, taskQueue, workflowsPath, activities: createSmokeActivities(calls),
    });
    const workflowId = `smoke-${taskQueue}`;
    const result = await worker.runUntil(env.client.workflow.execute('greetWorkflow', { taskQueue, workflowId, args: ['opsflow'] }));
    assert.equal(result, 'hello, opsflow');
    assert.deepEqual(calls, ['greet:opsflow']);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const types = (history.events ?? []).map((e) => e.eventType);
    assert.ok(types.length > 0);
    const desc = await env.client.workflow.getHandle(workflowId).describe();
    assert.equal(desc.status.name, 'COMPLETED');
  });
});

describe('Temporal (time-skipping test server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  before(async () => { env = await timeSkippingEnv(); });
  after(async () => { await env?.teardown(); });

  it('completes a workflow that sleeps 7 days in well under a minute', async () => {
    const taskQueue = uniqueTaskQueue('skip');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, activities: createSmokeActivities([]) });
    const started = Date.now();
    const result = await worker.runUntil(env.client.workflow.execute('sleepyWorkflow', { taskQueue, workflowId: `sleepy-${taskQueue}` }));
    assert.equal(result, 'woke up');
    assert.ok(Date.now() - started < 60_000);
  });
});
