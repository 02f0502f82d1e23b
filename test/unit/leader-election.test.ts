// Leader election rules (pure): who may take the Lease when, with expiry judged on the local clock;
// the watcher's election settings from the environment.
import assert from 'node:assert/strict';
import { decide, microTime, nextRoundInMs, observe, type LeaseRecord } from '../../src/k8s/lease.ts';
import { leaderElectionConfig, watcherIntervals } from '../../src/watcher/leader-config.ts';

const D = 15_000;
const held = (holder: string, renew = 'r1', transitions = 0): LeaseRecord => ({ holderIdentity: holder, leaseDurationSeconds: 15, renewTime: renew, leaseTransitions: transitions });

describe('leader election (pure)', () => {
  it('no Lease yet: create it, holding it with transitions 0', () => {
    const d = decide(undefined, undefined, 'a', 1_000, D);
    assert.equal(d.action, 'create');
    assert.equal(d.action === 'create' && d.record.holderIdentity, 'a');
    assert.equal(d.action === 'create' && d.record.leaseTransitions, 0);
  });

  const cases: Array<{ name: string; record: LeaseRecord; seenAt?: number; now: number; want: string }> = [
    { name: 'own Lease: renew', record: held('a'), now: 100_000, want: 'update:false' },
    { name: 'another holder, renewed just now (as seen here): wait', record: held('b'), seenAt: 50_000, now: 50_001, want: 'wait' },
    { name: 'another holder, last seen renewed 14.9 s ago: wait', record: held('b'), seenAt: 50_000, now: 64_900, want: 'wait' },
    { name: 'another holder, unrenewed for the lease duration: take over', record: held('b'), seenAt: 50_000, now: 65_000, want: 'update:true' },
    { name: 'a record never seen before counts as renewed now, whatever its renewTime says', record: held('b', 'long ago'), now: 99_000, want: 'wait' },
    { name: 'released Lease (no holder): take it at once', record: { leaseDurationSeconds: 1, leaseTransitions: 3 }, seenAt: 1, now: 2, want: 'update:true' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const obs = c.seenAt !== undefined ? { record: c.record, at: c.seenAt } : undefined;
      const d = decide(c.record, obs, 'a', c.now, D);
      assert.equal(d.action === 'update' ? `update:${String(d.acquired)}` : d.action, c.want);
    });
  }

  it('taking over counts a transition and sets acquireTime; renewing keeps both', () => {
    const take = decide(held('b', 'r', 4), { record: held('b', 'r', 4), at: 0 }, 'a', 20_000, D);
    assert.ok(take.action === 'update' && take.acquired);
    assert.equal(take.record.leaseTransitions, 5);
    assert.equal(take.record.acquireTime, microTime(20_000));
    const own = { ...take.record };
    const renew = decide(own, { record: own, at: 20_000 }, 'a', 22_000, D);
    assert.ok(renew.action === 'update' && !renew.acquired);
    assert.equal(renew.record.leaseTransitions, 5);
    assert.equal(renew.record.acquireTime, microTime(20_000));
    assert.equal(renew.record.renewTime, microTime(22_000));
  });

  it('a renewal by the holder restarts the local expiry clock', () => {
    const first = observe(undefined, held('b', 'r1'), 0);
    assert.equal(observe(first, held('b', 'r1'), 10_000).at, 0, 'same record: still seen at 0');
    const renewed = observe(first, held('b', 'r2'), 14_000);
    assert.equal(renewed.at, 14_000);
    assert.equal(decide(held('b', 'r2'), renewed, 'a', 16_000, D).action, 'wait');
  });

  const rounds: Array<{ name: string; expiresInMs?: number; want: number }> = [
    { name: 'leader or no holder: every retry period', want: 2000 },
    { name: 'holder expires in 10 s: the next period', expiresInMs: 10_000, want: 2000 },
    { name: 'holder expires in 700 ms: right after it expires', expiresInMs: 700, want: 750 },
    { name: 'holder expired meanwhile: at once', expiresInMs: -300, want: 50 },
  ];
  for (const r of rounds) it(`next round: ${r.name}`, () => assert.equal(nextRoundInMs(2000, r.expiresInMs), r.want));

  it('MicroTime has six fractional digits (the API server refuses milliseconds)', () => {
    assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
  });
});

describe('leader election settings', () => {
  it('defaults: 15 s / 10 s / 2 s, Lease opsflow-watcher in the Pod namespace, identity from the Pod name', () => {
    const c = leaderElectionConfig({ POD_NAMESPACE: 'opsflow-system', POD_NAME: 'w-1' }, () => undefined);
    assert.ok(c);
    assert.deepEqual([c.leaseDurationMs, c.renewDeadlineMs, c.retryPeriodMs], [15_000, 10_000, 2_000]);
    assert.equal(`${c.namespace}/${c.name}`, 'opsflow-system/opsflow-watcher');
    assert.match(c.identity, /^w-1_[0-9a-f]{8}$/);
  });

  it('a watcher of one namespace elects there, on its own Lease; OPSFLOW_LEASE_* override', () => {
    const c = leaderElectionConfig({ OPSFLOW_WATCH_NAMESPACE: 'team-a' }, () => undefined);
    assert.equal(`${c?.namespace}/${c?.name}`, 'team-a/opsflow-watcher-team-a');
    const o = leaderElectionConfig({ OPSFLOW_WATCH_NAMESPACE: 'team-a', OPSFLOW_LEASE_NAMESPACE: 'ops', OPSFLOW_LEASE_NAME: 'x', OPSFLOW_LEASE_DURATION_SECONDS: '4', OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS: '3', OPSFLOW_LEASE_RETRY_PERIOD_SECONDS: '0.5' }, () => undefined);
    assert.deepEqual([o?.namespace, o?.name, o?.leaseDurationMs, o?.renewDeadlineMs, o?.retryPeriodMs], ['ops', 'x', 4000, 3000, 500]);
  });

  it('OPSFLOW_LEADER_ELECTION=false: no election', () => {
    assert.equal(leaderElectionConfig({ OPSFLOW_LEADER_ELECTION: 'false' }), undefined);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS: '15' }, 'OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS: must be less than OPSFLOW_LEASE_DURATION_SECONDS'],
    [{ OPSFLOW_LEASE_RETRY_PERIOD_SECONDS: '10' }, 'OPSFLOW_LEASE_RETRY_PERIOD_SECONDS: must be less than OPSFLOW_LEASE_RENEW_DEADLINE_SECONDS'],
    [{ OPSFLOW_LEASE_DURATION_SECONDS: 'soon' }, 'OPSFLOW_LEASE_DURATION_SECONDS: '],
    [{ OPSFLOW_LEASE_NAME: 'Not_A_Name' }, 'OPSFLOW_LEASE_NAME: must be a DNS-1123 name'],
    [{ OPSFLOW_LEADER_ELECTION: 'maybe' }, 'OPSFLOW_LEADER_ELECTION: must be true or false'],
  ];
  for (const [env, msg] of bad) {
    it(`refuses ${JSON.stringify(env)} naming the variable`, () => {
      assert.throws(() => leaderElectionConfig(env, () => undefined), (e: Error) => e.message.includes(msg));
    });
  }

  it('run and pause check intervals', () => {
    assert.deepEqual(watcherIntervals({}), { runCheckMs: 10_000, pauseCheckMs: 10_000 });
    assert.deepEqual(watcherIntervals({ OPSFLOW_RUN_CHECK_SECONDS: '2', OPSFLOW_PAUSE_CHECK_SECONDS: '1' }), { runCheckMs: 2000, pauseCheckMs: 1000 });
    assert.throws(() => watcherIntervals({ OPSFLOW_RUN_CHECK_SECONDS: '0' }), /OPSFLOW_RUN_CHECK_SECONDS: /);
  });
});
