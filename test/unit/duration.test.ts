// One duration grammar: the worker's parser accepts exactly the table's `ok` values, with the right length.
import assert from 'node:assert/strict';
import { parseDurationMs, stepTimeoutMs, timeoutProblem } from '../../src/api/duration.ts';
import { StepTimeoutSchema } from '../../src/api/common.ts';
import { timeoutCases } from '../support/timeout-cases.ts';

describe('spec.timeout grammar (worker side)', () => {
  for (const c of timeoutCases) {
    it(`${c.ok ? 'accepts' : 'refuses'} ${JSON.stringify(c.value)}`, () => {
      assert.equal(timeoutProblem(c.value) === undefined, c.ok, timeoutProblem(c.value));
      assert.equal(StepTimeoutSchema.safeParse(c.value).success, c.ok, 'the zod schema agrees with the parser');
      if (c.ms !== undefined) {
        assert.equal(parseDurationMs(c.value), c.ms);
        assert.equal(stepTimeoutMs(c.value), c.ms);
      }
    });
  }
  it('falls back to the default for an absent timeout', () => {
    assert.equal(stepTimeoutMs(undefined), 600_000);
  });
});
