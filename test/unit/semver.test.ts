import assert from 'node:assert/strict';
import { compareVersions, satisfies, checkRange, parseVersion, versionFlavour } from '../../src/api/semver.ts';
import { judgeVersionChange } from '../../src/engines/version-change.ts';

describe('semver', () => {
  const compare: Array<[string, string, number]> = [
    ['16.4', '16.4.0', 0], ['16.10', '16.9', 1], ['15.19', '16.1', -1], ['17.0.1', '17', 1],
    // KubeDB's catalog names: the suffix is the image's flavour, ordered by the version alone.
    ['2.4.4-debian', '2.5.5-debian', -1], ['2.5.5-debian', '2.4.4-debian', 1], ['3.0.1-debian', '2.7.3-debian', 1], ['2.4.4-debian', '2.4.4', 0], ['2.10.0-debian', '2.9.9-debian', 1],
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
    ['2.5.5-debian', '> 2.4.4', true],
    ['2.4.4-debian', '> 2.4.4', false],
    ['3.0.1-debian', '>= 2.5.5-debian, < 3.1', true],
  ];
  for (const [v, r, want] of ranges) it(`${v} ${want ? 'satisfies' : 'does not satisfy'} "${r}"`, () => assert.equal(satisfies(v, r), want));

  it('reads the flavour of a version and refuses what is not one', () => {
    assert.equal(versionFlavour('2.4.4-debian'), 'debian');
    assert.equal(versionFlavour('16.4'), undefined);
    assert.deepEqual(parseVersion('3.0.1-debian'), [3, 0, 1]);
    assert.throws(() => parseVersion('2.4.4-'), /"2\.4\.4-" is not a version/);
    assert.throws(() => parseVersion('debian-2.4.4'), /is not a version/);
  });

  const spec = (version: string, allow?: string) => ({ version, db: { image: `kubedb/proxysql:${version}` }, deprecated: false, ...(allow ? { updateConstraints: { allowlist: [allow] } } : {}) });
  const judged: Array<[string, string, string | undefined, RegExp]> = [
    ['2.4.4-debian', '2.5.5-debian', '> 2.4.4', /^Proceed$/],
    ['2.5.5-debian', '2.4.4-debian', undefined, /^Failed: .*2\.4\.4-debian is older than the current version 2\.5\.5-debian; downgrades/],
    ['2.4.4-debian', '2.4.4-debian', undefined, /^Skipped: the database already runs version 2\.4\.4-debian$/],
    ['2.4.4-debian', '2.4.4-centos', undefined, /^Failed: spec\.updateVersion\.targetVersion: 2\.4\.4-centos is 2\.4\.4-debian in another image flavour/],
  ];
  for (const [from, to, allow, want] of judged) {
    it(`ProxySQLVersion ${from} → ${to}: ${want.source}`, () => {
      const v = judgeVersionChange(spec(from, allow), spec(to), 'ProxySQLVersion');
      assert.match(v.outcome === 'Proceed' ? 'Proceed' : `${v.outcome}: ${v.reason}`, want);
    });
  }

  it('rejects a malformed range with a message naming it', () => {
    assert.throws(() => checkRange('about 16'), /"about" is not a version comparator/);
  });
});
