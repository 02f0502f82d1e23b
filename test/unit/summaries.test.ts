// Activity summaries shown in the Temporal Web UI (pure).
import assert from 'node:assert/strict';
import { activitySummary } from '../../src/workflows/summaries.ts';

describe('activity summaries (pure)', () => {
  it('names what an activity acts on', () => {
    assert.equal(activitySummary('rollPod', ['demo', 'pg', 'pg-1', undefined]), 'rollPod demo pg pg-1');
    assert.equal(activitySummary('pauseDatabase', [{ kind: 'Postgres', namespace: 'demo', name: 'pg' }, 'PostgresOpsRequest/up']), 'pauseDatabase Postgres demo/pg PostgresOpsRequest/up');
    assert.equal(activitySummary('recordProgress', [{ kind: 'PostgresOpsRequest', namespace: 'demo', name: 'up', uid: 'x' }, { phase: 'Progressing', steps: [] }]), 'recordProgress PostgresOpsRequest demo/up');
  });
  it('leaves out long strings and stays one short line', () => {
    assert.equal(activitySummary('writePostgresConfig', ['demo', 'pg', 'x'.repeat(500), null]), 'writePostgresConfig demo pg');
    assert.ok(activitySummary('a', Array.from({ length: 40 }, (_, i) => `arg-${i}`)).length <= 120);
  });
});
