// VolumeExpansion (pure): quantities, the judgement (each refusal names the field), the steps, and the
// StatefulSet manifest created again with the new claim size.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoDir } from '../../devenv/paths.ts';
import { compareQuantities, quantityBytes } from '../../src/api/quantity.ts';
import { PostgresOpsRequestSchema } from '../../src/api/opsrequests.ts';
import { claimSizeOf, statefulSetWithClaimSize, type VolumeExpansionPlan } from '../../src/activities/volume-expansion.ts';
import { judgeVolumeExpansion, type ExpansionFacts } from '../../src/engines/volume-expansion.ts';
import { fullSteps, postgresVolumeExpansionSteps } from '../../src/workflows/plans.ts';

describe('VolumeExpansion (pure)', () => {
  it('reads quantities as bytes', () => {
    assert.equal(quantityBytes('1Gi'), 2 ** 30);
    assert.equal(quantityBytes('1.5Gi'), 1.5 * 2 ** 30);
    assert.equal(quantityBytes('2G'), 2e9);
    assert.equal(quantityBytes('1073741824'), 2 ** 30);
    for (const bad of ['', 'Gi', '1 Gi', '-1Gi', '1e9', '1gi', '0', '100m', '1Pi']) assert.equal(quantityBytes(bad), undefined, bad);
    assert.equal(compareQuantities('1024Mi', '1Gi'), 0);
    assert.equal(compareQuantities('1G', '1Gi'), -1);
    assert.equal(compareQuantities('2Gi', '1500Mi'), 1);
  });

  const base: ExpansionFacts = {
    field: 'spec.volumeExpansion.postgres', target: '2Gi', database: 'Postgres pg', storageType: 'Durable', current: '1Gi',
    claims: [{ pod: 'pg-1', claim: 'data-pg-1', className: 'standard', capacity: '1Gi' }, { pod: 'pg-0', claim: 'data-pg-0', className: 'standard', capacity: '1Gi' }],
    classes: { standard: true },
  };
  const cases: Array<[string, Partial<ExpansionFacts>, string, RegExp]> = [
    ['not a quantity', { target: '2 GB' }, 'Failed', /^spec\.volumeExpansion\.postgres: "2 GB" is not a storage quantity such as 2Gi; nothing was changed$/],
    ['a shrink', { target: '512Mi' }, 'Failed', /^spec\.volumeExpansion\.postgres: 512Mi is smaller than the current size 1Gi: a volume cannot be shrunk/],
    ['smaller than a claim grown by hand', { claims: [{ pod: 'pg-0', claim: 'data-pg-0', className: 'standard', capacity: '3Gi' }] }, 'Failed', /2Gi is smaller than data-pg-0's capacity 3Gi/],
    ['a class without allowVolumeExpansion', { classes: { standard: false } }, 'Failed', /^spec\.volumeExpansion\.postgres: StorageClass "standard" \(of data-pg-1\) does not allow volume expansion \(allowVolumeExpansion is not true\); nothing was changed$/],
    ['a class that does not exist', { classes: {} }, 'Failed', /StorageClass "standard" of data-pg-1 does not exist/],
    ['a missing claim', { claims: [{ pod: 'pg-0' }] }, 'Failed', /Pod pg-0 has no PersistentVolumeClaim data-pg-0/],
    ['ephemeral storage', { storageType: 'Ephemeral' }, 'Failed', /spec\.storageType Ephemeral: it has no volume to expand/],
    ['every claim has the size', { target: '1Gi' }, 'Skipped', /every volume of Postgres pg has 1Gi already/],
  ];
  for (const [name, facts, outcome, reason] of cases) {
    it(`${name}: ${outcome}`, () => {
      const v = judgeVolumeExpansion({ ...base, ...facts });
      assert.equal(v.outcome, outcome);
      assert.match('reason' in v ? v.reason : '', reason);
    });
  }
  it('a grow proceeds; so does the rest of an earlier partial one (spec.storage already says it)', () => {
    assert.deepEqual(judgeVolumeExpansion(base), { outcome: 'Proceed', current: '1Gi' });
    const partial = { ...base, current: '2Gi', claims: [{ ...base.claims[0]!, capacity: '2Gi' }, base.claims[1]!] };
    assert.equal(judgeVolumeExpansion(partial).outcome, 'Proceed');
  });

  const plan = (mode: 'Online' | 'Offline'): VolumeExpansionPlan => ({
    database: 'pg', statefulSet: 'pg', mode, size: '2Gi', current: '1Gi', primary: 'pg-0', pods: ['pg-2', 'pg-1', 'pg-0'],
    claims: { 'pg-0': 'data-pg-0', 'pg-1': 'data-pg-1', 'pg-2': 'data-pg-2' }, uids: {},
  });
  it('steps: Online grows every claim under its Pod; Offline switches over before the primary', () => {
    const spec = { type: 'VolumeExpansion' };
    assert.deepEqual(postgresVolumeExpansionSteps(plan('Online'), spec), ['WaitForTurn', 'PauseDatabase', 'ExpandVolume-pg-2', 'ExpandVolume-pg-1', 'ExpandVolume-pg-0', 'UpdateStatefulSet', 'UpdateDatabase', 'ResumeDatabase']);
    assert.deepEqual(postgresVolumeExpansionSteps(plan('Offline'), spec).slice(2, 6), ['ExpandVolume-pg-2', 'ExpandVolume-pg-1', 'Switchover', 'ExpandVolume-pg-0']);
    assert.ok(!postgresVolumeExpansionSteps(plan('Offline'), { ...spec, primaryUpdateMethod: 'Restart' }).includes('Switchover'));
    assert.deepEqual(fullSteps(spec, postgresVolumeExpansionSteps(plan('Online'), spec)).slice(0, 4), ['Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate']);
  });

  it('the StatefulSet is created again from what it was, with only the data claim at the new size', () => {
    const live = {
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name: 'pg', namespace: 'ns', uid: 'u1', resourceVersion: '7', labels: { a: 'b' }, ownerReferences: [{ apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', name: 'pg', uid: 'd1' }] },
      spec: {
        selector: { matchLabels: { a: 'b' } }, serviceName: 'pg-pods', template: { metadata: { labels: { a: 'b' } } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } }],
      },
      status: { replicas: 3 },
    };
    const m = statefulSetWithClaimSize(live, '2Gi');
    assert.equal(claimSizeOf(m), '2Gi');
    assert.equal(claimSizeOf(live), '1Gi', 'the live object is not changed');
    assert.deepEqual(m.metadata, { name: 'pg', namespace: 'ns', labels: { a: 'b' }, annotations: undefined, ownerReferences: live.metadata.ownerReferences });
    assert.equal((m as { status?: unknown }).status, undefined);
    assert.deepEqual(m.spec?.volumeClaimTemplates?.[0], { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } });
  });

  it('the schema takes KubeDB\'s fields and refuses a bad size or mode, naming the field', () => {
    const ops = (volumeExpansion: unknown) => ({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: 'x' }, spec: { type: 'VolumeExpansion', databaseRef: { name: 'pg' }, volumeExpansion } });
    assert.ok(PostgresOpsRequestSchema.safeParse(ops({ mode: 'Online', postgres: '2Gi' })).success);
    const bad = PostgresOpsRequestSchema.safeParse(ops({ mode: 'Online', postgres: '2 GB' }));
    assert.ok(!bad.success && bad.error.issues.some((i) => i.path.join('.') === 'spec.volumeExpansion.postgres'));
    const mode = PostgresOpsRequestSchema.safeParse(ops({ mode: 'Sideways', postgres: '2Gi' }));
    assert.ok(!mode.success && mode.error.issues.some((i) => i.path.join('.') === 'spec.volumeExpansion.mode'));
    const example = parse(readFileSync(join(repoDir, 'k8s', 'examples', 'pgops-volume-expansion.yaml'), 'utf8')) as unknown;
    assert.ok(PostgresOpsRequestSchema.safeParse(example).success, 'the README example parses');
  });
});
