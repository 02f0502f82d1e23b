// SingleStore planning (pure): rollout order (leaves, child aggregators, master aggregator last),
// the version judgement as the SingleStore catalog uses it, the per-role config Secrets the renderer
// gives each role, and the Reconfigure config merge (precedence, removeCustomConfig, field names in
// errors, value checks against what a node reports).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SingleStoreVersionSchema } from '../../src/api/catalog.ts';
import { SingleStoreSchema, type SingleStore } from '../../src/api/databases.ts';
import { mergeLayers, parseCnf, planRoleConfig, renderCnf, sameValue, valueProblem } from '../../src/engines/singlestore/config.ts';
import { memberHost, rolloutOrder } from '../../src/engines/singlestore/plan.ts';
import { renderSingleStore, roleConfigSecret } from '../../src/engines/singlestore/render.ts';
import { judgeVersionChange } from '../../src/engines/version-change.ts';
import { setGlobalStatement } from '../../src/activities/singlestore-config.ts';
import { repoDir } from '../../devenv/paths.ts';

function sdb(aggregators: number, leaves: number, extra: Partial<SingleStore['spec']> = {}): SingleStore {
  return SingleStoreSchema.parse({
    apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore',
    metadata: { name: 'sdb', namespace: 'demo', uid: 'u-1' },
    spec: { version: '8.7.10', topology: { aggregator: { replicas: aggregators }, leaf: { replicas: leaves } }, ...extra },
  });
}

describe('SingleStore planning', () => {
  describe('rollout order', () => {
    const cases: Array<{ name: string; db: SingleStore; roles?: Array<'leaf' | 'aggregator'>; want: string[] }> = [
      { name: '2 aggregators, 2 leaves', db: sdb(2, 2), want: ['sdb-leaf-1', 'sdb-leaf-0', 'sdb-aggregator-1', 'sdb-aggregator-0'] },
      { name: '3 aggregators, 3 leaves', db: sdb(3, 3), want: ['sdb-leaf-2', 'sdb-leaf-1', 'sdb-leaf-0', 'sdb-aggregator-2', 'sdb-aggregator-1', 'sdb-aggregator-0'] },
      { name: '1 aggregator, 1 leaf', db: sdb(1, 1), want: ['sdb-leaf-0', 'sdb-aggregator-0'] },
      { name: 'leaves only', db: sdb(2, 2), roles: ['leaf'], want: ['sdb-leaf-1', 'sdb-leaf-0'] },
      { name: 'aggregators only: master last', db: sdb(3, 2), roles: ['aggregator'], want: ['sdb-aggregator-2', 'sdb-aggregator-1', 'sdb-aggregator-0'] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const order = rolloutOrder(c.db, c.roles);
        assert.deepEqual(order.map((p) => p.pod), c.want);
        for (const p of order) assert.equal(p.statefulSet, p.pod.replace(/-\d+$/, ''));
        assert.deepEqual(order.filter((p) => p.master).map((p) => p.pod), c.want.includes('sdb-aggregator-0') ? ['sdb-aggregator-0'] : []);
      });
    }
    it('members are named by their DNS names', () => assert.equal(memberHost(sdb(1, 1), 'sdb-leaf-0'), 'sdb-leaf-0.sdb-pods.demo.svc'));
  });

  describe('version judgement with the SingleStore catalog', () => {
    const docs = parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'catalog', 'singlestoreversions.yaml'), 'utf8')).map((d) => SingleStoreVersionSchema.parse(d.toJS()).spec);
    const spec = (v: string) => {
      const s = docs.find((d) => d.version === v);
      assert.ok(s, v);
      return s;
    };
    const cases: Array<[string, string, string, RegExp?]> = [
      ['8.5.7', '8.7.10', 'Proceed'],
      ['8.7.10', '8.9.3', 'Proceed'],
      ['8.7.10', '8.7.10', 'Skipped'],
      ['8.9.3', '8.7.10', 'Failed', /^spec\.updateVersion\.targetVersion: .*downgrade/],
      ['8.5.7', '8.1.32', 'Failed', /^spec\.updateVersion\.targetVersion: /],
    ];
    for (const [from, to, want, msg] of cases) {
      it(`${from} → ${to}: ${want}`, () => {
        const v = judgeVersionChange(spec(from), spec(to), 'SingleStoreVersion');
        assert.equal(v.outcome, want);
        if (msg && v.outcome !== 'Proceed') assert.match(v.reason, msg);
      });
    }
  });

  describe('config merge', () => {
    it('parses cnf lines: comments, sections, quotes, dashes', () => {
      assert.deepEqual(parseCnf('[server]\n# c\nmax_connections = 500 ; note\nsql-mode = "STRICT_ALL_TABLES"\n\nWait_Timeout=60\n'),
        { max_connections: '500', sql_mode: 'STRICT_ALL_TABLES', wait_timeout: '60' });
      assert.throws(() => parseCnf('max_connections\n'), /line 1: "max_connections" is not "name = value"/);
    });
    it('precedence: current < configSecret < applyConfig, parameter by parameter', () => {
      const p = planRoleConfig({
        current: { field: 'spec.topology.leaf.configSecret', files: { 'a.cnf': 'max_connections = 100\nwait_timeout = 10\n' } },
        configSecret: { field: 'spec.configuration.leaf.configSecret', files: { 'b.cnf': 'max_connections = 200\ninteractive_timeout = 30\n' } },
        applyConfig: { field: 'spec.configuration.leaf.applyConfig', files: { 'c.cnf': 'max_connections = 300\n' } },
      });
      assert.deepEqual(p.params, { max_connections: '300', wait_timeout: '10', interactive_timeout: '30' });
      assert.equal(p.origin.max_connections, 'spec.configuration.leaf.applyConfig["c.cnf"]');
      assert.equal(p.origin.wait_timeout, 'spec.topology.leaf.configSecret["a.cnf"]');
      assert.deepEqual(p.changed, ['interactive_timeout', 'max_connections']);
      assert.deepEqual(p.dropped, []);
    });
    it('files of one layer merge in name order', () => {
      assert.deepEqual(mergeLayers([{ field: 'f', files: { 'b.cnf': 'x = 2', 'a.cnf': 'x = 1\ny = 1' } }]).params, { x: '2', y: '1' });
    });
    it('removeCustomConfig drops the current custom config first', () => {
      const p = planRoleConfig({
        current: { field: 'spec.topology.leaf.configSecret', files: { 'a.cnf': 'max_connections = 100\nwait_timeout = 10\n' } },
        removeCustomConfig: true,
        applyConfig: { field: 'spec.configuration.leaf.applyConfig', files: { 'c.cnf': 'max_connections = 100\n' } },
      });
      assert.deepEqual(p.params, { max_connections: '100' });
      assert.deepEqual(p.dropped, ['wait_timeout']);
      assert.deepEqual(p.changed, []);
    });
    it('merging again with the result as the current config is a no-op (a retried persist is idempotent)', () => {
      const req = { applyConfig: { field: 'spec.configuration.leaf.applyConfig', files: { 'c.cnf': 'max_connections = 300\n' } } };
      const first = planRoleConfig({ current: { field: 'cur', files: { 'a.cnf': 'wait_timeout = 10' } }, ...req });
      const again = planRoleConfig({ current: { field: 'cur', files: { 'custom.cnf': renderCnf(first.params, 'x') } }, ...req });
      assert.deepEqual(again.params, first.params);
      assert.deepEqual(again.changed, []);
    });
    it('errors name the field and the file', () => {
      assert.throws(() => planRoleConfig({ applyConfig: { field: 'spec.configuration.leaf.applyConfig', files: { 'x.conf': 'a = 1' } } }),
        /^Error: spec\.configuration\.leaf\.applyConfig\["x\.conf"\]: only \*\.cnf files/);
      assert.throws(() => planRoleConfig({ applyConfig: { field: 'spec.configuration.leaf.applyConfig', files: { 'x.cnf': 'oops' } } }),
        /^Error: spec\.configuration\.leaf\.applyConfig\["x\.cnf"\]: line 1/);
    });
    it('renders parameters sorted, quoting what needs it, and parses back the same', () => {
      const params = { wait_timeout: '60', sql_mode: 'STRICT_ALL_TABLES,ONLY_FULL_GROUP_BY', note: 'a b' };
      const text = renderCnf(params, 'header');
      assert.match(text, /^# header\nnote = a b\nsql_mode = STRICT_ALL_TABLES,ONLY_FULL_GROUP_BY\nwait_timeout = 60\n$/);
      assert.deepEqual(parseCnf(text), params);
      assert.deepEqual(parseCnf(renderCnf({ x: 'a#b' }, 'h')), { x: 'a#b' });
    });
    const values: Array<[string, string, string | undefined, RegExp | undefined]> = [
      ['max_connections', '500', '100000', undefined],
      ['max_connections', 'lots', '100000', /takes an integer/],
      ['sync_permissions', 'ON', 'OFF', undefined],
      ['sync_permissions', 'maybe', 'OFF', /takes ON or OFF/],
      ['sql_mode', 'ANSI', 'STRICT_ALL_TABLES', undefined],
      ['no_such_variable', '1', undefined, /unknown variable no_such_variable/],
    ];
    for (const [name, value, reported, want] of values) {
      it(`${name} = ${value} against ${reported ?? '(not reported)'}: ${want ? 'refused' : 'accepted'}`, () => {
        const p = valueProblem(name, value, reported);
        if (want) assert.match(p ?? '', want);
        else assert.equal(p, undefined);
      });
    }
    it('compares reported values by meaning', () => {
      assert.ok(sameValue('0500', '500'));
      assert.ok(sameValue('on', 'ON'));
      assert.ok(sameValue('ON', '1'));
      assert.ok(!sameValue('OFF', 'ON'));
      assert.ok(!sameValue('100', '1000'));
    });
    it('SET GLOBAL statements: integers bare, text quoted, names checked', () => {
      assert.equal(setGlobalStatement('max_connections', '500'), 'SET GLOBAL max_connections = 500');
      assert.equal(setGlobalStatement('sql_mode', "it's"), "SET GLOBAL sql_mode = 'it\\'s'");
      assert.throws(() => setGlobalStatement('x; DROP', '1'), /not a variable name/);
    });
  });

  describe('rendering: a config Secret per role', () => {
    it('each role mounts its own Secret, rendered from its own configSecret (else spec.configSecret)', () => {
      const db = sdb(1, 2, { configSecret: { name: 'shared' }, topology: { aggregator: { replicas: 1 }, leaf: { replicas: 2, configSecret: { name: 'leafy' } } } });
      const version = SingleStoreVersionSchema.parse({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStoreVersion', metadata: { name: '8.7.10' }, spec: { version: '8.7.10', db: { image: 'singlestore/node:alma-8.7.10' } } });
      const objs = renderSingleStore(db, version, { shared: { 'a.cnf': 'max_connections = 10' }, leafy: { 'b.cnf': 'max_connections = 20\nwait_timeout = 5' } });
      const secret = (n: string) => objs.find((o) => o.kind === 'Secret' && o.metadata?.name === n) as { stringData: Record<string, string> } | undefined;
      assert.match(secret('sdb-aggregator-config')?.stringData['opsflow.cnf'] ?? '', /\nmax_connections = 10\n$/);
      assert.match(secret('sdb-leaf-config')?.stringData['opsflow.cnf'] ?? '', /\nmax_connections = 20\nwait_timeout = 5\n$/);
      assert.equal(secret('sdb-config'), undefined, 'no shared config Secret any more');
      for (const role of ['aggregator', 'leaf']) {
        const sts = objs.find((o) => o.kind === 'StatefulSet' && o.metadata?.name === `sdb-${role}`) as { spec: { template: { spec: { volumes: Array<{ name: string; secret?: { secretName: string } }> } } } };
        assert.equal(sts.spec.template.spec.volumes.find((v) => v.name === 'config')?.secret?.secretName, `sdb-${role}-config`);
      }
    });
    it('a bad file in the role configSecret names the field', () => {
      const db = sdb(1, 1, { topology: { aggregator: { replicas: 1 }, leaf: { replicas: 1, configSecret: { name: 'bad' } } } });
      assert.throws(() => roleConfigSecret(db, 'leaf', { 'x.cnf': 'nonsense' }), /^Error: spec\.topology\.leaf\.configSecret\["x\.cnf"\]: line 1/);
    });
  });
});
