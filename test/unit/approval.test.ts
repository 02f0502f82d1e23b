// Who approved, as the run reads it from the OpsRequest (pure): only the annotation counts, and
// never the requester's own name.
import assert from 'node:assert/strict';
import { approvalOf } from '../../src/api/approval.ts';

describe('approvalOf (the run trusts the API server, not the signal)', () => {
  const cases: Array<[string, Record<string, string> | undefined, RegExp | string]> = [
    ['no annotations', undefined, /carries no opsflow\.dev\/approved-by annotation/],
    ['no approval annotation', { 'opsflow.dev/requested-by': 'alice' }, /carries no opsflow\.dev\/approved-by/],
    ['the requester approving', { 'opsflow.dev/requested-by': 'alice', 'opsflow.dev/approved-by': 'alice' }, /alice requested this OpsRequest and cannot approve it/],
    ['another user', { 'opsflow.dev/requested-by': 'alice', 'opsflow.dev/approved-by': 'bob' }, 'bob'],
    ['no recorded requester', { 'opsflow.dev/approved-by': 'bob' }, 'bob'],
  ];
  for (const [name, annotations, want] of cases) {
    it(name, () => {
      const v = approvalOf(annotations);
      if (typeof want === 'string') assert.deepEqual(v, { approvedBy: want });
      else assert.ok('refused' in v && want.test(v.refused), JSON.stringify(v));
    });
  }
});
