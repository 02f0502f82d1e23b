// Every piece of local infrastructure is pinned in infra/versions.env, and nothing else pins it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir, versions } from '../../devenv/paths.ts';

describe('pinned versions', () => {
  const cases: Array<[string, RegExp]> = [
    ['KUBERNETES_VERSION', /^v1\.\d+\.\d+$/],
    ['KWOK_VERSION', /^v0\.\d+\.\d+$/],
    ['ETCD_VERSION', /^v3\.5\.\d+$/],
    ['TEMPORAL_CLI_VERSION', /^\d+\.\d+\.\d+$/],
    ['TEMPORAL_TEST_SERVER_VERSION', /^\d+\.\d+\.\d+$/],
    ['HELM_VERSION', /^v4\.\d+\.\d+$/],
  ];
  for (const [name, shape] of cases) {
    it(`${name} is an exact version`, () => assert.match(versions[name] ?? '', shape));
  }
  it('package.json pins every npm dependency exactly', () => {
    const pkg = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    for (const [dep, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      assert.match(v, /^\d+\.\d+\.\d+$/, `${dep} is pinned to an exact version`);
    }
    assert.equal(pkg.devDependencies?.node?.split('.')[0], '24', 'Node 24 LTS is the pinned runtime');
  });
});
