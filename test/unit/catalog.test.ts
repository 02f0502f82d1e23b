// The committed catalog parses with the schemas, its constraints parse, and they say what the
// catalog promises: minor updates within a major, majors upward only.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PostgresVersionSchema, ProxySQLVersionSchema, SingleStoreVersionSchema, type VersionSpec } from '../../src/api/catalog.ts';
import { checkRange, compareVersions, satisfies } from '../../src/api/semver.ts';
import { repoDir } from '../../devenv/paths.ts';

function load(file: string): unknown[] {
  return parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'catalog', file), 'utf8')).map((d) => d.toJS() as unknown);
}
const allowed = (from: VersionSpec, to: string) =>
  (from.updateConstraints?.allowlist ?? []).some((r) => satisfies(to, r)) && !(from.updateConstraints?.denylist ?? []).some((r) => satisfies(to, r));

describe('catalog', () => {
  const pg = load('postgresversions.yaml').map((d) => PostgresVersionSchema.parse(d));
  const sets = [
    ['postgresversions.yaml', pg],
    ['singlestoreversions.yaml', load('singlestoreversions.yaml').map((d) => SingleStoreVersionSchema.parse(d))],
    ['proxysqlversions.yaml', load('proxysqlversions.yaml').map((d) => ProxySQLVersionSchema.parse(d))],
  ] as const;
  for (const [file, entries] of sets) {
    it(`${file}: names equal versions, constraints parse, nothing allows a downgrade`, () => {
      assert.ok(entries.length >= 3);
      for (const e of entries) {
        assert.equal(e.metadata.name, e.spec.version);
        for (const r of [...(e.spec.updateConstraints?.allowlist ?? []), ...(e.spec.updateConstraints?.denylist ?? [])]) checkRange(r);
        for (const t of entries) if (compareVersions(t.spec.version, e.spec.version) <= 0) assert.ok(!allowed(e.spec, t.spec.version), `${e.spec.version} → ${t.spec.version}`);
      }
    });
  }
  it('PostgresVersion covers several minors of each major 14-18, with official postgres images', () => {
    for (const major of [14, 15, 16, 17, 18]) assert.ok(pg.filter((v) => v.spec.version.startsWith(`${major}.`)).length >= 2, `major ${major}`);
    for (const v of pg) assert.equal(v.spec.db.image, `postgres:${v.spec.version}`);
  });
  it("ProxySQLVersion has KubeDB's -debian names with KubeDB's image of that tag, and they update upward", () => {
    const prx = load('proxysqlversions.yaml').map((d) => ProxySQLVersionSchema.parse(d));
    for (const name of ['2.3.2-debian', '2.4.4-debian', '2.5.5-debian', '2.7.3-debian', '3.0.1-debian']) {
      const e = prx.find((v) => v.metadata.name === name);
      assert.ok(e, name);
      assert.equal(e.spec.db.image, `kubedb/proxysql:${name}`);
    }
    const e = prx.find((v) => v.metadata.name === '2.4.4-debian');
    assert.ok(e && allowed(e.spec, '2.5.5-debian') && allowed(e.spec, '3.0.1-debian') && !allowed(e.spec, '2.3.2-debian') && !allowed(e.spec, '2.4.4-debian'));
  });
  const pgCases: Array<[string, string, boolean]> = [['16.13', '16.15', true], ['16.15', '17.11', true], ['15.17', '16.13', true], ['16.15', '16.13', false], ['17.9', '16.15', false], ['17.9', '18.3', true], ['18.3', '18.6', true], ['18.6', '18.3', false], ['18.3', '17.11', false]];
  for (const [from, to, want] of pgCases) {
    it(`Postgres ${from} → ${to} is ${want ? 'allowed' : 'denied'}`, () => {
      const e = pg.find((v) => v.spec.version === from);
      assert.ok(e);
      assert.equal(allowed(e.spec, to), want);
    });
  }
});
