// Pure parts of the CLI and of retry: where a reset goes (over stored histories), the file
// validation's field-naming errors, the dry run's step list, the status rendering.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';
import { CliError } from '../../src/starter/cli/errors.ts';
import { validateOpsDocument } from '../../src/starter/cli/opsfile.ts';
import { progressFromStatus } from '../../src/starter/cli/progress.ts';
import type { OpsObject } from '../../src/starter/cli/refs.ts';
import { bar, renderStatus } from '../../src/starter/cli/render.ts';
import { resetPointFor, type HistoryEventLike } from '../../src/temporal/reset-point.ts';
import { fullSteps } from '../../src/workflows/plans.ts';

const events = (f: string) => (JSON.parse(readFileSync(join(repoDir, 'test', 'histories', f), 'utf8')) as { history: { events: HistoryEventLike[] } }).history.events;

describe('opsflow CLI (pure parts)', () => {
  it('retry resets to the workflow task that scheduled PauseDatabase', () => {
    const ev = events('e2e-minor-update.json');
    const p = resetPointFor(ev);
    assert.equal(p.from, 'PauseDatabase');
    const i = ev.findIndex((e) => Number(e.eventId) === p.eventId);
    assert.equal(ev[i]?.eventType, 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
    const pause = ev.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pauseDatabase');
    assert.ok(i < pause, 'before the pause');
    assert.ok(ev.slice(i + 1, pause).every((e) => e.eventType !== 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED'), 'the last completed task before it');
  });

  it('a run that failed before pausing is retried from its first workflow task', () => {
    const p = resetPointFor(events('validation-failed.json'));
    assert.deepEqual(p, { eventId: 4, from: 'start' });
  });

  it('file validation names the field', () => {
    const base = { apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'x' } };
    const err = (doc: unknown) => {
      try {
        validateOpsDocument(doc, 'f.yaml');
      } catch (e) {
        assert.ok(e instanceof CliError);
        assert.equal(e.code, 2);
        return e.message;
      }
      assert.fail('accepted');
    };
    assert.match(err({ ...base, spec: { type: 'UpdateVersion', databaseRef: { name: 'd' }, updateVersion: {} } }), /spec\.updateVersion\.targetVersion: /);
    assert.match(err({ ...base, spec: { type: 'Restart', databaseRef: { name: 'd' }, approval: 'Maybe' } }), /spec\.approval: /);
    assert.match(err({ ...base, spec: { type: 'Restart', databaseRef: { name: 'd' }, updateVersion: { targetVersion: '1' } } }), /spec\.updateVersion: only allowed when spec\.type is UpdateVersion/);
    assert.match(err({ ...base, kind: 'Nope', spec: {} }), /kind: must be one of/);
    assert.match(err({ ...base, spec: { type: 'Restart', databaseRef: { name: 'd' }, authentication: {} } }), /spec\.authentication: only allowed when spec\.type is RotateAuth/);
    assert.match(err({ ...base, kind: 'SingleStoreOpsRequest', spec: { type: 'RotateAuth', databaseRef: { name: 'd' } } }), /spec\.type: RotateAuth is not supported for SingleStoreOpsRequest/);
    const ok = validateOpsDocument({ ...base, spec: { type: 'Restart', databaseRef: { name: 'd' } } }, 'f.yaml');
    assert.equal(ok.spec.approval, 'Automatic', 'approval defaults to Automatic');
  });

  it('the dry run adds the admission steps the spec asks for', () => {
    assert.deepEqual(fullSteps({ type: 'Restart', approval: 'Required' }, ['WaitForTurn', 'PauseDatabase', 'ResumeDatabase']),
      ['Validate', 'Approval', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'ResumeDatabase']);
    assert.deepEqual(fullSteps({ type: 'Restart', apply: 'Always' }, ['WaitForTurn', 'PauseDatabase']), ['Validate', 'WaitForTurn', 'Revalidate', 'PauseDatabase']);
  });

  it('status from conditions: states, durations, the Pod bar', () => {
    const o: OpsObject = {
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'up', namespace: 'ns', uid: 'u' },
      spec: { type: 'UpdateVersion', databaseRef: { name: 'db' }, updateVersion: { targetVersion: '16.4' } },
      status: { phase: 'Progressing', message: 'updating', conditions: [
        { type: 'RestartPod-db-1', status: 'True', reason: 'Succeeded', message: 'replaced', lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'RestartPod-db-0', status: 'Unknown', reason: 'Running', message: '', lastTransitionTime: '2026-01-01T00:00:10Z' },
      ] },
    };
    const p = progressFromStatus(o);
    assert.deepEqual(p.steps.map((s) => s.state), ['Succeeded', 'Running']);
    const text = renderStatus(o, p, 'conditions', Date.parse('2026-01-01T00:00:15Z'));
    assert.match(text, /\[>\] RestartPod-db-0 +5\.0s/);
    assert.match(text, /Pods: +\[#{10}-{10}\] 1\/2/);
    assert.equal(bar(0, 0, 4), '[----] 0/0');
  });
});
