import assert from 'node:assert/strict';
import { compareVersions, satisfies, checkRange } from '../../src/api/semver.ts';

describe('semver', () => {
  const compare: Array<[string, string, number]> = [
    ['16.4', '16.4.0', 0], ['16.10', '16.9', 1], ['15.19', '16.1', -1], ['17.0.1', '17', 1],
  ];
  for (const [a, b, want] of compare) it(`compares ${a} with ${b}`, () => assert.equal(compareVersions(a, b), want));

  const ranges: Array<[string, string, boolean]> = [
    ['16.14', '> 16.13, < 17', true],
    ['17.1', '> 16.13, < 17', false],
    ['16.13', '> 16.13, < 17', false],
    ['17.1', '>= 17', true],
    ['15.2', '< 15 || >= 16', false],
    ['16.2', '< 15 || >= 16', true],
    ['16.2', '>=16.0 <16.5', true],
  ];
  for (const [v, r, want] of ranges) it(`${v} ${want ? 'satisfies' : 'does not satisfy'} "${r}"`, () => assert.equal(satisfies(v, r), want));

  it('rejects a malformed range with a message naming it', () => {
    assert.throws(() => checkRange('about 16'), /"about" is not a version comparator/);
  });
});
