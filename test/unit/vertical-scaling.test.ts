// Pure parts of VerticalScaling and of the SingleStore/ProxySQL Restart: the quantity grammar, the
// checks that name the field, the podTemplate the database spec carries (and the provisioner
// renders), and the declared steps (the workflow, the dry run and the progress display share them).
import assert from 'node:assert/strict';
import { PostgresSchema } from '../../src/api/databases.ts';
import { renderStatefulSet } from '../../src/engines/postgres/render.ts';
import {
  describeVerticalScaling, judgeVerticalScaling, parseQuantity, resourcesProblems, sameResources, withContainerResources,
} from '../../src/engines/resources.ts';
import { fullSteps, proxysqlRestartSteps, singlestoreRestartSteps, verticalScalingSteps } from '../../src/workflows/plans.ts';
import { operationViews } from '../../src/workflows/operations.ts';

describe('VerticalScaling: quantities and resources', () => {
  const quantities: Array<[string | number, number | undefined]> = [
    ['500m', 0.5], ['2', 2], [2, 2], ['0.7', 0.7], ['1Gi', 2 ** 30], ['2500Mi', 2500 * 2 ** 20], ['1k', 1000], ['1e3', 1000], ['.5', 0.5],
    ['', undefined], ['-1', undefined], [-1, undefined], ['1 Gi', undefined], ['1GB', undefined], ['lots', undefined], ['1Gi; rm -rf /', undefined],
  ];
  for (const [q, want] of quantities) it(`parseQuantity(${JSON.stringify(q)}) = ${want}`, () => assert.equal(parseQuantity(q), want));

  const cases: Array<{ name: string; r: Parameters<typeof resourcesProblems>[1]; problems: RegExp[] }> = [
    { name: 'KubeDB guide example', r: { requests: { memory: '2500Mi', cpu: '0.7' }, limits: { memory: '2500Mi', cpu: '0.7' } }, problems: [] },
    { name: 'requests only', r: { requests: { cpu: '250m' } }, problems: [] },
    { name: 'empty', r: {}, problems: [/^f: give requests and\/or limits$/] },
    { name: 'requests above limits', r: { requests: { cpu: '2' }, limits: { cpu: '1500m' } }, problems: [/^f\.requests\.cpu: 2 is more than limits\.cpu 1500m$/] },
    { name: 'memory units compared', r: { requests: { memory: '1Gi' }, limits: { memory: '1000Mi' } }, problems: [/^f\.requests\.memory: 1Gi is more than limits\.memory 1000Mi$/] },
    { name: 'not a quantity', r: { limits: { memory: 'big' } }, problems: [/^f\.limits\.memory: "big" is not a Kubernetes quantity/] },
    { name: 'a device resource', r: { limits: { 'nvidia.com/gpu': '1' } }, problems: [/^f\.limits\.nvidia\.com\/gpu: not a resource opsflow sets/] },
  ];
  for (const c of cases) {
    it(`resourcesProblems: ${c.name}`, () => {
      const got = resourcesProblems('f', c.r);
      assert.equal(got.length, c.problems.length, got.join('; '));
      c.problems.forEach((p, i) => assert.match(got[i] ?? '', p));
    });
  }

  it('sameResources compares amounts, not spellings', () => {
    assert.ok(sameResources({ requests: { cpu: '1000m', memory: '1Gi' } }, { requests: { cpu: '1', memory: '1024Mi' } }));
    assert.ok(sameResources({ limits: { cpu: '700m' } }, { limits: { cpu: '0.7' } }), 'the API server writes 0.7 as 700m');
    assert.ok(!sameResources({ requests: { cpu: '1' } }, { requests: { cpu: '1' }, limits: { cpu: '1' } }));
    assert.ok(!sameResources(undefined, { requests: { cpu: '1' } }));
  });

  it('withContainerResources replaces one container\'s resources and keeps the others', () => {
    const t = withContainerResources({ spec: { containers: [{ name: 'exporter', resources: { limits: { cpu: '1' } } }, { name: 'postgres', resources: { limits: { cpu: '9' } } }] } }, 'postgres', { requests: { memory: '1Gi', cpu: 1 } });
    assert.deepEqual(t.spec?.containers, [{ name: 'exporter', resources: { limits: { cpu: '1' } } }, { name: 'postgres', resources: { requests: { cpu: '1', memory: '1Gi' } } }]);
  });

  it('the Postgres StatefulSet renders the resources the database spec carries (the provisioner keeps them)', () => {
    const pg = PostgresSchema.parse({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg', namespace: 'ns', uid: 'u' }, spec: { version: '16.13', podTemplate: { spec: { containers: [{ name: 'postgres', resources: { requests: { cpu: '500m' } } }] } } } });
    const sts = renderStatefulSet(pg, { apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresVersion', metadata: { name: '16.13' }, spec: { version: '16.13', db: { image: 'postgres:16.13' }, deprecated: false } });
    assert.deepEqual(sts.spec?.template.spec?.containers[0]?.resources, { requests: { cpu: '500m' } });
  });
});

describe('VerticalScaling: the request judged against the engine\'s role keys', () => {
  const targets = {
    leaf: { statefulSet: 's-leaf', container: 'singlestore', specPath: 'spec.topology.leaf.podTemplate' },
    aggregator: { statefulSet: 's-aggregator', container: 'singlestore', specPath: 'spec.topology.aggregator.podTemplate' },
  };
  const refused = { node: 'has a topology', coordinator: 'no coordinator' };
  const res = { resources: { requests: { cpu: '1' } } };
  const cases: Array<{ name: string; req: Parameters<typeof judgeVerticalScaling>[0]; want: RegExp | string[] }> = [
    { name: 'both roles, in rollout order (leaf first)', req: { aggregator: res, leaf: res }, want: ['leaf', 'aggregator'] },
    { name: 'one role', req: { aggregator: res }, want: ['aggregator'] },
    { name: 'nothing given', req: {}, want: /^spec\.verticalScaling: give leaf and\/or aggregator/ },
    { name: 'a refused KubeDB key', req: { node: res }, want: /^spec\.verticalScaling\.node: has a topology$/ },
    { name: 'an unknown key', req: { exporter: res }, want: /^spec\.verticalScaling\.exporter: not a role of this database \(roles: leaf, aggregator\)$/ },
    { name: 'a bad quantity names the whole path', req: { leaf: { resources: { limits: { cpu: 'x' } } } }, want: /^spec\.verticalScaling\.leaf\.resources\.limits\.cpu: "x" is not a Kubernetes quantity/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = judgeVerticalScaling(c.req, targets, refused);
      if (c.want instanceof RegExp) assert.match('problem' in got ? got.problem : 'no problem', c.want);
      else assert.deepEqual('changes' in got ? got.changes.map((x) => x.role) : got.problem, c.want);
    });
  }
  it('describes the change as the Validate step shows it', () => {
    const got = judgeVerticalScaling({ leaf: { resources: { requests: { memory: '1Gi', cpu: 0.5 }, limits: { cpu: '1' } } } }, targets);
    assert.ok('changes' in got);
    assert.equal(describeVerticalScaling(got.changes), 'leaf: requests cpu=0.5,memory=1Gi limits cpu=1');
  });
});

describe('Restart (SingleStore, ProxySQL) and VerticalScaling steps', () => {
  const sdbPods = ['s-leaf-1', 's-leaf-0', 's-aggregator-1', 's-aggregator-0'].map((pod) => ({ pod, statefulSet: pod.replace(/-\d$/, ''), role: pod.includes('leaf') ? 'leaf' as const : 'aggregator' as const, master: pod === 's-aggregator-0' }));
  const change = (role: string) => ({ role, statefulSet: 's', container: 'c', specPath: 'spec.podTemplate', resources: {} });
  it('SingleStore Restart: leaves, the child aggregator, the master aggregator last', () => {
    assert.deepEqual(singlestoreRestartSteps({ database: 's', pods: sdbPods, uids: {} }),
      ['WaitForTurn', 'PauseDatabase', 'RestartPod-s-leaf-1', 'RestartPod-s-leaf-0', 'RestartPod-s-aggregator-1', 'RestartPod-s-aggregator-0', 'ResumeDatabase']);
  });
  it('ProxySQL Restart: one member at a time', () => {
    assert.deepEqual(proxysqlRestartSteps({ database: 'p', statefulSet: 'p', version: '2.6.3', pods: ['p-1', 'p-0'], uids: {} }),
      ['WaitForTurn', 'PauseDatabase', 'RestartPod-p-1', 'RestartPod-p-0', 'ResumeDatabase']);
  });
  it('SingleStore VerticalScaling: each role\'s UpdateResources, then the roll', () => {
    assert.deepEqual(verticalScalingSteps({ database: 's', pods: sdbPods, changes: [change('leaf'), change('aggregator')] }),
      ['WaitForTurn', 'PauseDatabase', 'UpdateResources-leaf', 'UpdateResources-aggregator', 'RestartPod-s-leaf-1', 'RestartPod-s-leaf-0', 'RestartPod-s-aggregator-1', 'RestartPod-s-aggregator-0', 'ResumeDatabase']);
  });
  it('Postgres VerticalScaling: standbys, Switchover, the old primary (as Restart); the dry run shows the same', () => {
    const plan = { database: 'pg', statefulSet: 'pg', primary: 'pg-0', pods: ['pg-2', 'pg-1', 'pg-0'], changes: [change('postgres')] };
    const spec = { type: 'VerticalScaling' };
    assert.deepEqual(operationViews.postgresVerticalScaling.steps(plan, spec),
      ['WaitForTurn', 'PauseDatabase', 'UpdateResources-postgres', 'RestartPod-pg-2', 'RestartPod-pg-1', 'Switchover', 'RestartPod-pg-0', 'ResumeDatabase']);
    assert.deepEqual(fullSteps(spec, operationViews.postgresVerticalScaling.steps(plan, { ...spec, primaryUpdateMethod: 'Restart' })).slice(0, 5),
      ['Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase']);
    assert.ok(!operationViews.postgresVerticalScaling.steps(plan, { ...spec, primaryUpdateMethod: 'Restart' }).includes('Switchover'));
  });
});
