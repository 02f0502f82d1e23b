// What the Web UI shows of a run (pure part): its current details name the phase, the database and
// the current step.
import assert from 'node:assert/strict';
import { runDetails } from '../../src/workflows/search-attributes.ts';

describe('run details for the Web UI', () => {
  it('names the phase, the database and the running step', () => {
    const d = runDetails({ phase: 'Progressing', message: 'restarting pg', steps: [
      { name: 'PauseDatabase', state: 'Succeeded' }, { name: 'RestartPod-pg-1', state: 'Running', message: 'waiting for Ready' }, { name: 'ResumeDatabase', state: 'Pending' },
    ] }, 'demo/pg');
    assert.match(d, /\*\*Phase:\*\* Progressing — restarting pg/);
    assert.match(d, /\*\*Database:\*\* demo\/pg/);
    assert.match(d, /\*\*Step:\*\* RestartPod-pg-1 \(Running\): waiting for Ready/);
  });
  it('after the end: the last step that ran', () => {
    const d = runDetails({ phase: 'Failed', message: 'boom', steps: [{ name: 'Validate', state: 'Failed', message: 'boom' }, { name: 'PauseDatabase', state: 'Pending' }] });
    assert.match(d, /\*\*Step:\*\* Validate \(Failed\): boom/);
    assert.doesNotMatch(d, /Database/);
  });
});
