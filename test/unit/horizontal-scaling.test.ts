// HorizontalScaling (pure): the members a new count adds or removes, the judgement of the count
// (naming the field), the Postgres primary never removed (a switchover first), the declared steps,
// the CRD schema's bounds, and a spec.replicas edit becoming an OpsRequest owned by the database.
import assert from 'node:assert/strict';
import { PostgresSchema, ProxySQLSchema, SingleStoreSchema, type Database } from '../../src/api/databases.ts';
import { PostgresOpsRequestSpecSchema, ProxySQLOpsRequestSpecSchema, SingleStoreOpsRequestSpecSchema } from '../../src/api/opsrequests.ts';
import { effectiveDatabase, planDeclarative } from '../../src/engines/declarative.ts';
import { countProblem, describeScale, postgresScaleDecision, scaleChange, slotNameOf } from '../../src/engines/horizontal-scaling.ts';
import { fullSteps, postgresHorizontalScalingSteps, proxysqlHorizontalScalingSteps, singlestoreHorizontalScalingSteps } from '../../src/workflows/plans.ts';

describe('HorizontalScaling (pure)', () => {
  it('a scale-up adds the next ordinals, a scale-down removes the highest first', () => {
    assert.deepEqual(scaleChange('pg', 'spec.replicas', 1, 3), { statefulSet: 'pg', field: 'spec.replicas', from: 1, to: 3, added: ['pg-1', 'pg-2'], removed: [] });
    assert.deepEqual(scaleChange('pg', 'spec.replicas', 4, 2).removed, ['pg-3', 'pg-2']);
    assert.equal(describeScale(scaleChange('pg', 'spec.replicas', 3, 2)), 'pg: 3 → 2 members; removes pg-2 (their PersistentVolumeClaims are kept)');
  });

  const counts: Array<[unknown, RegExp | undefined]> = [
    [0, /spec\.horizontalScaling\.replicas: 0 is below 1/], [-2, /below 1/], [10, /spec\.horizontalScaling\.replicas: 10 is above 9/],
    [1.5, /not a whole number/], ['3', /not a whole number/], [undefined, /is required/], [1, undefined], [9, undefined],
  ];
  for (const [value, want] of counts) {
    it(`count ${JSON.stringify(value)}: ${want ? 'refused, naming the field' : 'accepted'}`, () => {
      const p = countProblem('spec.horizontalScaling.replicas', value);
      if (want) assert.match(p ?? '', want);
      else assert.equal(p, undefined);
    });
  }

  it('the CRD schema refuses the same counts, naming the field (the API server rejects the request: nothing changes)', () => {
    const bad = PostgresOpsRequestSpecSchema.safeParse({ type: 'HorizontalScaling', databaseRef: { name: 'pg' }, horizontalScaling: { replicas: 0 } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['horizontalScaling', 'replicas']);
    assert.equal(ProxySQLOpsRequestSpecSchema.safeParse({ type: 'HorizontalScaling', proxyRef: { name: 'p' }, horizontalScaling: { member: 10 } }).success, false);
    assert.equal(SingleStoreOpsRequestSpecSchema.safeParse({ type: 'HorizontalScaling', databaseRef: { name: 's' }, horizontalScaling: { leaf: 3 } }).success, true);
  });

  it('Postgres: a removed primary switches over to the lowest remaining member first; the primary stays otherwise', () => {
    assert.deepEqual(postgresScaleDecision(scaleChange('pg', 'spec.replicas', 3, 2), 'pg-0'), { primary: 'pg-0', standbys: ['pg-1'] });
    assert.deepEqual(postgresScaleDecision(scaleChange('pg', 'spec.replicas', 3, 2), 'pg-2'), { primary: 'pg-0', switchoverTo: 'pg-0', standbys: ['pg-1'] });
    assert.deepEqual(postgresScaleDecision(scaleChange('pg', 'spec.replicas', 3, 2), 'pg-2', 'pg-1'), { primary: 'pg-1', switchoverTo: 'pg-1', standbys: ['pg-0'] });
    assert.deepEqual(postgresScaleDecision(scaleChange('pg', 'spec.replicas', 3, 1), 'pg-1'), { primary: 'pg-0', switchoverTo: 'pg-0', standbys: [] });
    const p = postgresScaleDecision(scaleChange('pg', 'spec.replicas', 3, 2), 'pg-0', 'pg-2');
    assert.match('problem' in p ? p.problem : '', /spec\.preferredPrimary: "pg-2" is not a member after scaling to 2/);
  });

  it('the declared steps: Switchover only when the primary goes; slots dropped only on a scale-down', () => {
    const up = { ...scaleChange('pg', 'spec.replicas', 1, 3), database: 'pg', primary: 'pg-0', standbys: ['pg-1', 'pg-2'] };
    assert.deepEqual(postgresHorizontalScalingSteps(up), ['WaitForTurn', 'PauseDatabase', 'ScaleStatefulSet', 'AddMember-pg-1', 'AddMember-pg-2', 'CheckSync', 'ResumeDatabase']);
    const down = { ...scaleChange('pg', 'spec.replicas', 3, 2), database: 'pg', primary: 'pg-2', switchoverTo: 'pg-0', standbys: ['pg-1'] };
    assert.deepEqual(fullSteps({ type: 'HorizontalScaling' }, postgresHorizontalScalingSteps(down)), [
      'Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'Switchover', 'ScaleStatefulSet', 'RemoveMember-pg-2', 'DropReplicationSlots', 'CheckSync', 'ResumeDatabase',
    ]);
    assert.deepEqual(proxysqlHorizontalScalingSteps({ ...scaleChange('prx', 'spec.replicas', 3, 2), database: 'prx' }), ['WaitForTurn', 'PauseDatabase', 'ScaleStatefulSet', 'RemoveMember-prx-2', 'CheckCluster', 'ResumeDatabase']);
  });

  it('SingleStore: a removed member leaves the cluster before its Pod goes; each StatefulSet has its own step', () => {
    const plan = {
      database: 's', members: { aggregators: ['s-aggregator-0', 's-aggregator-1'], leaves: ['s-leaf-0'] },
      changes: [{ ...scaleChange('s-aggregator', 'spec.topology.aggregator.replicas', 1, 2), role: 'aggregator' as const }, { ...scaleChange('s-leaf', 'spec.topology.leaf.replicas', 2, 1), role: 'leaf' as const }],
    };
    assert.deepEqual(singlestoreHorizontalScalingSteps(plan), [
      'WaitForTurn', 'PauseDatabase', 'ScaleStatefulSet-s-aggregator', 'AddMember-s-aggregator-1',
      'LeaveCluster-s-leaf-1', 'ScaleStatefulSet-s-leaf', 'RemoveMember-s-leaf-1', 'CheckCluster', 'ResumeDatabase',
    ]);
  });

  it('slot names follow the member (characters a slot may not hold become _)', () => {
    assert.equal(slotNameOf('pg-2'), 'pg_2');
    assert.equal(slotNameOf('My.DB-10'), 'my_db_10');
  });

  describe('declarative spec.replicas edit', () => {
    const pg = (replicas: number, applied?: object) => PostgresSchema.parse({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg', namespace: 'ns', uid: 'uid-1', generation: 2 },
      spec: { version: '16.15', replicas }, ...(applied ? { status: { applied } } : {}),
    }) as Database;

    it('keeps rendering the running count and creates one HorizontalScaling owned by the database', () => {
      const d = planDeclarative(pg(2, { version: '16.15', configSecrets: {}, replicas: { 'spec.replicas': 3 } }), new Map(), false);
      assert.equal(d.kind, 'Pending');
      if (d.kind !== 'Pending') return;
      assert.equal((d.render.spec as { replicas: number }).replicas, 3, 'the StatefulSet is not resized behind opsflow\'s back');
      assert.equal(d.create.length, 1);
      assert.deepEqual(d.create[0]?.spec, { databaseRef: { name: 'pg' }, type: 'HorizontalScaling', horizontalScaling: { replicas: 2 } });
      assert.equal(d.create[0]?.metadata.ownerReferences[0]?.name, 'pg');
      assert.match(d.condition.message, /spec\.replicas 3 → 2: PostgresOpsRequest pg-scale-2-\w+ Pending/);
    });

    it('a ProxySQL edit asks for spec.horizontalScaling.member', () => {
      const prx = ProxySQLSchema.parse({
        apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQL', metadata: { name: 'prx', namespace: 'ns', uid: 'u' },
        spec: { version: '2.7.2', replicas: 4, backend: { name: 'mysql' } }, status: { applied: { version: '2.7.2', replicas: { 'spec.replicas': 3 } } },
      }) as Database;
      const d = planDeclarative(prx, new Map(), false);
      assert.deepEqual(d.kind === 'Pending' && d.create[0]?.spec, { proxyRef: { name: 'prx' }, type: 'HorizontalScaling', horizontalScaling: { member: 4 } });
    });

    it('a SingleStore edit of both roles becomes one request with aggregator and leaf', () => {
      const sdb = SingleStoreSchema.parse({
        apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore', metadata: { name: 's', namespace: 'ns', uid: 'u' },
        spec: { version: '8.7.10', topology: { aggregator: { replicas: 2 }, leaf: { replicas: 1 } } },
        status: { applied: { version: '8.7.10', replicas: { 'spec.topology.aggregator.replicas': 1, 'spec.topology.leaf.replicas': 2 } } },
      }) as Database;
      const d = planDeclarative(sdb, new Map(), false);
      assert.deepEqual(d.kind === 'Pending' && d.create[0]?.spec, { databaseRef: { name: 's' }, type: 'HorizontalScaling', horizontalScaling: { aggregator: 2, leaf: 1 } });
      const r = d.render as Extract<Database, { kind: 'SingleStore' }>;
      assert.deepEqual([r.spec.topology.aggregator.replicas, r.spec.topology.leaf.replicas], [1, 2], 'the running counts stay rendered');
    });

    it('a record older than HorizontalScaling (no replicas) renders the spec, as before', () => {
      const db = pg(2, { version: '16.15', configSecrets: {} });
      assert.equal(planDeclarative(db, new Map(), false).kind, 'UpToDate');
      assert.equal((effectiveDatabase(db, { version: '16.15' }) as { spec: { replicas: number } }).spec.replicas, 2);
    });
  });
});
