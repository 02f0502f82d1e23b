// What the watcher writes for a run that closed without a final phase, for a workflow task that
// keeps failing, and when the provisioner may clear a pause (pure); an open run followed from the
// watcher's cache costs no API call.
import assert from 'node:assert/strict';
import { closedRunStatus, followRun, RUN_CLOSED, WORKFLOW_TASK_FAILING, workflowTaskStatus } from '../../src/watcher/closed-runs.ts';
import type { RunStatusReader } from '../../src/watcher/run-status.ts';
import type { Kube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { parseHolder, pauseVerdict, type PauseFacts } from '../../src/watcher/orphan-pause.ts';
import { failureMessage } from '../../src/watcher/run-status.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';

const now = '2026-01-01T00:00:00Z';
const progressing: OpsRequestStatus = { phase: 'Progressing', message: 'RestartPod-pg-1', conditions: [] };

describe('closed runs → final phase (pure)', () => {
  const cases: Array<{ status: Parameters<typeof closedRunStatus>[1]; error: string; phase: string; message: RegExp; reason: string }> = [
    { status: 'TERMINATED', error: 'terminated from the Web UI', phase: 'Failed', message: /^the workflow run was terminated \(TERMINATED\): terminated from the Web UI/, reason: 'Terminated' },
    { status: 'CANCELLED', error: 'Workflow execution cancelled', phase: 'Failed', message: /was cancelled \(CANCELLED\): Workflow execution cancelled/, reason: 'Cancelled' },
    { status: 'FAILED', error: 'Invalid duration string', phase: 'Failed', message: /failed \(FAILED\): Invalid duration string/, reason: 'Failed' },
    { status: 'TIMED_OUT', error: 'Workflow execution timed out', phase: 'Failed', message: /timed out \(TIMED_OUT\)/, reason: 'TimedOut' },
  ];
  for (const c of cases) {
    it(`${c.status}: Failed, naming the close status and the error`, () => {
      const s = closedRunStatus(progressing, c.status, { error: c.error }, now);
      assert.equal(s?.phase, c.phase);
      assert.match(s?.message ?? '', c.message);
      const cond = s?.conditions?.find((x) => x.type === RUN_CLOSED);
      assert.equal(cond?.status, 'False');
      assert.equal(cond?.reason, c.reason);
    });
  }

  it('COMPLETED while the OpsRequest is not final (its last write was lost): the phase from the result', () => {
    const s = closedRunStatus(progressing, 'COMPLETED', { result: { phase: 'Successful', message: 'updated to 16.15' } }, now);
    assert.deepEqual([s?.phase, s?.message], ['Successful', 'updated to 16.15']);
    const skipped = closedRunStatus({ phase: 'Pending' }, 'COMPLETED', { result: { phase: 'Skipped', message: 'already at 16.15' } }, now);
    assert.equal(skipped?.phase, 'Skipped');
  });

  it('an OpsRequest already final is never changed; an open run changes nothing', () => {
    assert.equal(closedRunStatus({ phase: 'Successful' }, 'TERMINATED', { error: 'x' }, now), undefined);
    assert.equal(closedRunStatus({ phase: 'Failed' }, 'COMPLETED', { result: { phase: 'Successful' } }, now), undefined);
    assert.equal(closedRunStatus(progressing, 'RUNNING', {}, now), undefined);
  });

  it('the failure message is the whole cause chain', () => {
    assert.equal(failureMessage({ message: 'Workflow execution failed', cause: { message: 'activity failed', cause: { message: 'boom' } } }), 'Workflow execution failed: activity failed: boom');
  });
});

describe('workflow task failing → condition (pure)', () => {
  it('attempt 1 (healthy): nothing; attempt 3: WorkflowTaskFailing True with the error; then Recovered', () => {
    assert.equal(workflowTaskStatus(progressing, { status: 'RUNNING', workflowTaskAttempt: 1 }, undefined, now), undefined);
    const failing = workflowTaskStatus(progressing, { status: 'RUNNING', workflowTaskAttempt: 3 }, 'TypeError: x is undefined', now);
    const c = failing?.conditions?.find((x) => x.type === WORKFLOW_TASK_FAILING);
    assert.equal(c?.status, 'True');
    assert.match(c?.message ?? '', /attempt 3\): TypeError: x is undefined/);
    assert.equal(failing?.phase, 'Progressing', 'the phase is the run\'s own');
    assert.equal(workflowTaskStatus(failing, { status: 'RUNNING', workflowTaskAttempt: 3 }, 'TypeError: x is undefined', now), undefined, 'unchanged: no write');
    const back = workflowTaskStatus(failing, { status: 'RUNNING' }, undefined, now);
    assert.equal(back?.conditions?.find((x) => x.type === WORKFLOW_TASK_FAILING)?.reason, 'Recovered');
  });
});

describe('clearing a pause whose run has closed (pure)', () => {
  const ns = 'db-ns';
  const wf = (name: string) => `postgresopsrequest/${ns}/${name}/uid-1`;
  const cases: Array<{ name: string; facts: PauseFacts; clear: boolean }> = [
    { name: 'its run is open', facts: { holder: 'PostgresOpsRequest/up', opsRequest: { uid: 'u' }, run: { status: 'RUNNING' } }, clear: false },
    { name: 'its run is just starting (not visible yet)', facts: { holder: 'PostgresOpsRequest/up', opsRequest: { uid: 'u' }, run: { status: 'NOT_FOUND' } }, clear: false },
    { name: 'its run was terminated', facts: { holder: 'PostgresOpsRequest/up', opsRequest: { uid: 'u' }, run: { status: 'TERMINATED' } }, clear: true },
    { name: 'its run completed', facts: { holder: 'PostgresOpsRequest/up', opsRequest: { uid: 'u' }, run: { status: 'COMPLETED' } }, clear: true },
    { name: 'its OpsRequest is gone and no run of it is open', facts: { holder: 'PostgresOpsRequest/up', opsRequest: null, openRunIds: [wf('other')] }, clear: true },
    { name: 'its OpsRequest is gone but a run of it is still open', facts: { holder: 'PostgresOpsRequest/up', opsRequest: null, openRunIds: [wf('up')] }, clear: false },
    { name: 'a run named like a prefix is not it', facts: { holder: 'PostgresOpsRequest/up', opsRequest: null, openRunIds: [wf('up-2')] }, clear: true },
    { name: 'a holder that is not an OpsRequest (set by hand)', facts: { holder: 'alice' }, clear: false },
  ];
  for (const c of cases) {
    it(`${c.clear ? 'cleared' : 'kept'}: ${c.name}`, () => assert.equal(pauseVerdict(c.facts, ns).clear, c.clear));
  }

  it('parses <Kind>/<name> of OpsRequest kinds only', () => {
    assert.deepEqual(parseHolder('SingleStoreOpsRequest/sdb-up'), { kind: 'SingleStoreOpsRequest', name: 'sdb-up' });
    assert.equal(parseHolder('Postgres/pg'), undefined);
    assert.equal(parseHolder('PostgresOpsRequest/'), undefined);
  });
});

describe('following an open run from the cache', () => {
  const runs = (attempt: number): RunStatusReader => ({
    describe: async () => ({ status: 'RUNNING', workflowTaskAttempt: attempt }),
    lastWorkflowTaskFailure: async () => 'boom',
    outcome: async () => ({}),
    openRunsOf: async () => [],
  });
  let calls = 0;
  const kube = new Proxy({}, { get: () => { calls++; throw new Error('no API call expected'); } }) as unknown as Kube;
  const log = createLogger({ component: 'test' });
  const ref = { kind: 'PostgresOpsRequest', namespace: 'demo', name: 'x' };

  it('a healthy open run whose cached status needs no change makes no API call', async () => {
    calls = 0;
    assert.equal(await followRun(kube, runs(1), log, ref, 'uid', 'wf', undefined, progressing), false);
    assert.equal(calls, 0);
  });

  it('a failing workflow task is still written (the write reads the latest object)', async () => {
    calls = 0;
    await assert.rejects(followRun(kube, runs(3), log, ref, 'uid', 'wf', undefined, progressing), /no API call expected/);
    assert.ok(calls > 0);
  });
});
