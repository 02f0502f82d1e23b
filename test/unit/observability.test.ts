// Pure parts of observability: which OpsRequest a workflow id names, SDK log metadata as JSON fields
// (workflow id found in nested task metadata), step labels without Pod names, Prometheus parsing.
import assert from 'node:assert/strict';
import { opsRequestOfWorkflowId, workflowIdFor } from '../../src/temporal/ids.ts';
import { sdkFields, sdkLogger, workflowIdOf } from '../../src/temporal/runtime.ts';
import { createLogger } from '../../src/logger.ts';
import { stepLabel } from '../../src/workflows/metrics.ts';
import { parsePrometheus } from '../support/prometheus.ts';

const wf = workflowIdFor({ kind: 'PostgresOpsRequest', namespace: 'demo', name: 'pg-up', uid: 'u-1' });

describe('observability helpers', () => {
  it('a workflow id names its OpsRequest', () => {
    assert.equal(opsRequestOfWorkflowId(wf), 'demo/pg-up');
    assert.equal(opsRequestOfWorkflowId('singlestoreopsrequest/ns/x/uid'), 'ns/x');
    assert.equal(opsRequestOfWorkflowId('some-other-workflow'), undefined);
  });

  it('SDK metadata: JSON-safe, workflow id and OpsRequest added, also from nested task metadata', () => {
    const f = sdkFields({ workflowId: wf, n: 10n, err: new Error('boom'), fn: () => 1, [Symbol('s')]: 1 });
    assert.deepEqual(f, { workflowId: wf, n: '10', err: 'boom', opsRequest: 'demo/pg-up' });
    assert.equal(workflowIdOf({ start: { workflowExecution: { workflowId: wf } } }), wf);
    assert.equal(workflowIdOf({ jobs: [{ initializeWorkflow: { workflowId: wf } }] }), wf);
    assert.equal(sdkFields({ runId: 'r' }, wf).opsRequest, 'demo/pg-up');
  });

  it('the SDK logger writes JSON lines and remembers which workflow a run is', () => {
    const lines: string[] = [];
    const log = sdkLogger(createLogger({ component: 'temporal-sdk' }, 'debug', (l) => lines.push(l)));
    log.debug('Got workflow activation', { runId: 'r1', jobs: [{ initializeWorkflow: { workflowId: wf } }] });
    log.debug('Got workflow activation', { runId: 'r1', jobs: [{ fireTimer: {} }] });
    log.trace('hidden below debug? no: trace maps to debug', {});
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(parsed[1]?.workflowId, wf);
    assert.equal(parsed[1]?.opsRequest, 'demo/pg-up');
    assert.equal(parsed[1]?.component, 'temporal-sdk');
    assert.equal(parsed.length, 3);
  });

  it('step labels fold the Pod name away', () => {
    assert.equal(stepLabel('RestartPod-pg-1'), 'RestartPod');
    assert.equal(stepLabel('PauseDatabase'), 'PauseDatabase');
  });

  it('Prometheus text parsing', () => {
    const s = parsePrometheus('# HELP x\nopsflow_operations_total{kind="PostgresOpsRequest",outcome="Successful"} 3\nup 1\n');
    assert.deepEqual(s, [{ name: 'opsflow_operations_total', labels: { kind: 'PostgresOpsRequest', outcome: 'Successful' }, value: 3 }, { name: 'up', labels: {}, value: 1 }]);
  });
});
