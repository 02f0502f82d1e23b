// The per-database queue order (pure): who is ahead of a request, and who is nudged when one ends.
import assert from 'node:assert/strict';
import { earlierRequests, nextInLine, type QueuedRequest } from '../../src/api/queue-order.ts';

const req = (name: string, at: string, opts: { db?: string; phase?: string; ns?: string; proxy?: boolean } = {}): QueuedRequest => ({
  metadata: { name, uid: `uid-${name}`, namespace: opts.ns ?? 'demo', creationTimestamp: new Date(`2026-01-01T00:00:${at}Z`) },
  spec: opts.proxy ? { proxyRef: { name: opts.db ?? 'pg' } } : { databaseRef: { name: opts.db ?? 'pg' } },
  ...(opts.phase ? { status: { phase: opts.phase as never, message: '', conditions: [] } } : {}),
});
const names = (xs: QueuedRequest[]) => xs.map((x) => x.metadata?.name);

describe('per-database queue order (pure)', () => {
  const all = [
    req('c', '03'), req('a', '01', { phase: 'Successful' }), req('b', '02'), req('b2', '02'),
    req('other-db', '00', { db: 'pg2' }), req('d', '04', { phase: 'Progressing' }), req('e', '05'),
  ];

  it('ahead of a request: unfinished, same database, older first (then by name)', () => {
    assert.deepEqual(names(earlierRequests(all, { name: 'e', uid: 'uid-e' }, 'pg')), ['b', 'b2', 'c', 'd']);
    assert.deepEqual(names(earlierRequests(all, { name: 'b2', uid: 'uid-b2' }, 'pg')), ['b']);
    assert.deepEqual(names(earlierRequests(all, { name: 'b', uid: 'uid-b' }, 'pg')), []);
  });

  it('a request not in the list (deleted meanwhile) has nobody ahead', () => {
    assert.deepEqual(earlierRequests(all, { name: 'x', uid: 'uid-x' }, 'pg'), []);
  });

  it('when one ends, the next unfinished request of its database is nudged, never one ahead of it or of another database', () => {
    assert.equal(nextInLine(all, req('a', '01', { phase: 'Successful' }))?.metadata?.name, 'b');
    assert.equal(nextInLine(all, req('b', '02', { phase: 'Failed' }))?.metadata?.name, 'b2');
    assert.equal(nextInLine(all, req('d', '04', { phase: 'Successful' }))?.metadata?.name, 'e');
    assert.equal(nextInLine(all, req('e', '05', { phase: 'Successful' })), undefined);
    assert.equal(nextInLine(all, req('other-db', '00', { db: 'pg2', phase: 'Skipped' })), undefined);
  });

  it('a request in another namespace with the same database name is not nudged', () => {
    assert.equal(nextInLine([req('z', '09', { ns: 'prod' })], req('a', '01', { phase: 'Successful' })), undefined);
  });

  it('ProxySQL requests queue by proxyRef', () => {
    const px = [req('p1', '01', { proxy: true, db: 'px', phase: 'Successful' }), req('p2', '02', { proxy: true, db: 'px' })];
    assert.equal(nextInLine(px, px[0] as QueuedRequest)?.metadata?.name, 'p2');
    assert.deepEqual(names(earlierRequests(px, { name: 'p2', uid: 'uid-p2' }, 'px')), []);
  });
});
