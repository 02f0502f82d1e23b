// The StorageBound condition (pure): a claim that does not bind is named with its class and why.
import assert from 'node:assert/strict';
import { storageCondition } from '../../src/engines/storage.ts';

describe('StorageBound condition (pure)', () => {
  it('all claims bound: True', () => {
    const c = storageCondition([{ name: 'data-pg-0', phase: 'Bound', className: 'standard' }], 2);
    assert.deepEqual(c, { type: 'StorageBound', status: 'True', reason: 'ClaimsBound', message: '1 PersistentVolumeClaim(s) bound', observedGeneration: 2 });
  });
  const cases: Array<[string, Parameters<typeof storageCondition>[0][number], RegExp]> = [
    ['no such class', { name: 'data-pg-0', phase: 'Pending', className: 'fast-ssd' }, /^PersistentVolumeClaim data-pg-0 is Pending: StorageClass "fast-ssd" does not exist/],
    ['class without a running provisioner', { name: 'data-pg-1', phase: 'Pending', className: 'gp3', storageClass: { provisioner: 'ebs.csi.aws.com' } }, /data-pg-1 is Pending: StorageClass "gp3" \(provisioner ebs\.csi\.aws\.com\) has not provisioned a volume/],
    ['no class and no default', { name: 'data-pg-2', phase: 'Pending', className: undefined }, /names no StorageClass and the cluster has no default one/],
  ];
  for (const [name, claim, want] of cases) {
    it(`${name}: False, naming the claim and the class`, () => {
      const c = storageCondition([{ name: 'data-pg-9', phase: 'Bound', className: 'x' }, claim], undefined);
      assert.equal(c?.status, 'False');
      assert.equal(c?.reason, 'ClaimNotBound');
      assert.match(c?.message ?? '', want);
    });
  }
  it('no claims yet: no condition', () => assert.equal(storageCondition([], 1), undefined));
});
