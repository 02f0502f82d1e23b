// The watcher's state metrics (pure): queue by phase, the running step's age against spec.timeout,
// paused databases and their open OpsRequests.
import assert from 'node:assert/strict';
import { durationSeconds, renderStateMetrics, type StateObject } from '../../src/watcher/state-metrics.ts';
import { parsePrometheus, find } from '../support/prometheus.ts';

const now = Date.parse('2026-01-01T00:10:00Z');
const ops = (name: string, phase: string | undefined, extra: Partial<StateObject> = {}): StateObject => ({
  kind: 'PostgresOpsRequest', metadata: { namespace: 'demo', name }, spec: { databaseRef: { name: 'pg' } }, ...(phase ? { status: { phase } } : {}), ...extra,
});

describe('watcher state metrics', () => {
  for (const [d, s] of [['30s', 30], ['10m', 600], ['1h30m', 5400], ['500ms', 0.5], ['1.5h', 5400]] as const) {
    it(`duration ${d} = ${s} s`, () => assert.equal(durationSeconds(d), s));
  }

  it('counts by phase (zeros included), ages the running step, and pairs paused databases with their open requests', () => {
    const running: StateObject = ops('roll', 'Progressing', {
      spec: { databaseRef: { name: 'pg' }, timeout: '5m' },
      status: { phase: 'Progressing', conditions: [
        { type: 'PauseDatabase', status: 'True', reason: 'Succeeded', lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'RestartPod-pg-1', status: 'Unknown', reason: 'Running', lastTransitionTime: '2026-01-01T00:02:00Z' },
      ] },
    });
    const text = renderStateMetrics([running, ops('queued', undefined), ops('old', 'Failed')], [
      { kind: 'Postgres', metadata: { namespace: 'demo', name: 'pg' }, status: { conditions: [{ type: 'Paused', status: 'True' }] } },
      { kind: 'Postgres', metadata: { namespace: 'demo', name: 'idle' }, status: { conditions: [{ type: 'Paused', status: 'False' }] } },
    ], now);
    const s = parsePrometheus(text);
    assert.equal(find(s, 'opsflow_opsrequests', { kind: 'PostgresOpsRequest', phase: 'Pending' })[0]?.value, 1, 'no phase yet counts as Pending');
    assert.equal(find(s, 'opsflow_opsrequests', { kind: 'PostgresOpsRequest', phase: 'Failed' })[0]?.value, 1);
    assert.equal(find(s, 'opsflow_opsrequests', { kind: 'ProxySQLOpsRequest', phase: 'Progressing' })[0]?.value, 0, 'zero series exist');
    assert.deepEqual(find(s, 'opsflow_opsrequest_step_running_seconds').map((x) => [x.labels.name, x.labels.step, x.value]), [['roll', 'RestartPod-pg-1', 480]]);
    assert.equal(find(s, 'opsflow_opsrequest_step_timeout_seconds', { name: 'roll' })[0]?.value, 300);
    assert.equal(find(s, 'opsflow_opsrequest_step_timeout_seconds', { name: 'queued' })[0]?.value, 600, 'default 10m');
    assert.equal(find(s, 'opsflow_opsrequest_step_timeout_seconds', { name: 'old' }).length, 0, 'ended requests are not open');
    assert.equal(find(s, 'opsflow_database_paused', { database: 'pg' })[0]?.value, 1);
    assert.equal(find(s, 'opsflow_database_open_opsrequests', { database: 'pg' })[0]?.value, 2);
    assert.equal(find(s, 'opsflow_database_paused', { database: 'idle' })[0]?.value, 0);
    assert.equal(find(s, 'opsflow_database_open_opsrequests', { database: 'idle' })[0]?.value, 0);
    assert.match(text, /^# TYPE opsflow_database_paused gauge$/m);
  });

  it('escapes label values', () => {
    const text = renderStateMetrics([], [{ kind: 'Postgres', metadata: { namespace: 'a"b', name: 'x\\y' } }], now);
    assert.match(text, /opsflow_database_paused\{kind="Postgres",namespace="a\\"b",database="x\\\\y"\} 0/);
  });
});
