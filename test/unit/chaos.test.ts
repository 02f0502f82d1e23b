// The chaos harness's pure parts: seeded schedules (same seed, same schedules) and the tally.
import assert from 'node:assert/strict';
import { formatTally, reasonKey, tally, type Outcome } from '../../bench/chaos/report.ts';
import { opsSpec } from '../../bench/chaos/run-schedule.ts';
import { describeSchedule, expectedMs, faultKinds, makeSchedules, operations, prng } from '../../bench/chaos/schedule.ts';

describe('chaos schedules and tally (pure)', () => {
  it('the same seed gives the same schedules; another seed others', () => {
    assert.deepEqual(makeSchedules(42, 8), makeSchedules(42, 8));
    assert.notDeepEqual(makeSchedules(42, 8).map(describeSchedule), makeSchedules(43, 8).map(describeSchedule));
    const r = prng(1);
    for (let i = 0; i < 1000; i++) {
      const x = r();
      assert.ok(x >= 0 && x < 1);
    }
  });

  it('every schedule is runnable: 1-3 ordered faults inside the expected run, versions that go up', () => {
    const all = makeSchedules(7, 200);
    for (const s of all) {
      assert.ok(s.faults.length >= 1 && s.faults.length <= 3, describeSchedule(s));
      assert.deepEqual(s.faults.map((f) => f.atMs), [...s.faults.map((f) => f.atMs)].sort((a, b) => a - b));
      assert.ok((s.faults.at(-1)?.atMs ?? 0) <= expectedMs[s.operation]);
      if (s.operation.startsWith('UpdateVersion')) {
        const [fm, tm] = [Number(s.fromVersion.split('.')[0]), Number(s.toVersion?.split('.')[0])];
        assert.equal(tm - fm, s.operation === 'UpdateVersionMajor' ? 1 : 0, describeSchedule(s));
      }
    }
    // 200 schedules draw every operation and every fault.
    for (const op of operations) assert.ok(all.some((s) => s.operation === op), op);
    for (const f of faultKinds) assert.ok(all.some((s) => s.faults.some((x) => x.kind === f)), f);
    assert.ok(makeSchedules(3, 50, { operations: ['Restart'], faults: ['kill-worker'], replicas: 3 })
      .every((s) => s.operation === 'Restart' && s.replicas === 3 && s.faults.every((f) => f.kind === 'kill-worker')));
  });

  it('OpsRequest specs match the schedule', () => {
    const [s] = makeSchedules(1, 1, { operations: ['Reconfigure'] });
    assert.ok(s);
    assert.deepEqual(opsSpec(s, 'c0'), {
      databaseRef: { name: 'c0' }, timeout: '5m', type: 'Reconfigure',
      configuration: { applyConfig: { 'user.conf': `${s.applyConfig?.param} = ${s.applyConfig?.value}\n` } },
    });
  });

  it('tallies outcomes into the printed counts', () => {
    const [s] = makeSchedules(1, 1);
    assert.ok(s);
    const base: Outcome = { schedule: s, replacements: { 'c0-0': 1, 'c0-1': 1 }, leftPaused: false, faults: [], seconds: 10 };
    const t = tally([
      { ...base, phase: 'Successful' },
      { ...base, phase: 'Failed', message: 'RestartPod-c3-1: timed out after 300 s' },
      { ...base, phase: 'Failed', message: 'RestartPod-c4-0: timed out after 120 s' },
      { ...base, replacements: { 'c0-0': 2, 'c0-1': 3 }, leftPaused: true, lastSeen: 'Pending' },
      { ...base, setupError: 'not Ready' },
    ]);
    assert.deepEqual({ ...t, failedReasons: undefined }, {
      schedules: 5, successful: 1, failed: 2, skipped: 0, failedReasons: undefined,
      podsReplacedMoreThanOnce: 2, databasesLeftPaused: 1, notFinal: 1, successfulButWrong: 0, setupErrors: 1,
    });
    assert.deepEqual(t.failedReasons, { [reasonKey('RestartPod-c3-1: timed out after 300 s')]: 2 });
    assert.match(formatTally(t, 9), /Pods replaced more than once 2/);
  });
});

describe('control-plane components from kwok.yaml (pure)', () => {
  it('reads each component\'s binary, args and working dir', async () => {
    const { parseComponents } = await import('../../devenv/control-plane.ts');
    const yaml = [
      'kind: KwokctlConfiguration\ncomponents:\n- name: kube-apiserver\n  binary: /x/kube-apiserver\n  args: ["--secure-port=1"]\n  workDir: /w\n- name: kube-scheduler\n  binary: /x/kube-scheduler\n',
      'kind: Stage\nmetadata: {name: pod-ready}\n',
    ].join('---\n');
    const cs = parseComponents(yaml);
    assert.deepEqual(cs.map((c) => [c.name, c.binary, c.args.join(' ')]), [['kube-apiserver', '/x/kube-apiserver', '--secure-port=1'], ['kube-scheduler', '/x/kube-scheduler', '']]);
    assert.equal(cs[0]?.workDir, '/w');
  });
});
