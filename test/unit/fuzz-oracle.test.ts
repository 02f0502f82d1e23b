// The fuzz test's oracle, pure: Go-style durations (issue 11's spec.timeout rules), "names a field",
// snapshot differences.
import assert from 'node:assert/strict';
import { classifyTimeout, parseGoDuration } from '../../test/support/fuzz/durations.ts';
import { mustHaveBeenRefused, namesField, snapshotDiff } from '../../test/support/fuzz/oracle.ts';

describe('fuzz oracle (pure)', () => {
  const durations: Array<[string, number | undefined]> = [
    ['1h30m', 5_400_000], ['90s', 90_000], ['1.5h', 5_400_000], ['500ms', 500], ['2m30s', 150_000], ['0', 0], ['.5s', 500],
    ['1h30', undefined], ['30', undefined], ['1.5x', undefined], ['', undefined], ['5 m', undefined], ['PT5M', undefined], ['1d', undefined],
  ];
  for (const [s, ms] of durations) it(`parses ${JSON.stringify(s)} like Go's time.ParseDuration`, () => assert.equal(parseGoDuration(s), ms));

  it('classifies timeouts against the 10 s .. 24 h bounds', () => {
    assert.deepEqual(['10s', '24h', '1h30m', '9s', '25h', '500ms', '1.5x'].map(classifyTimeout),
      ['valid', 'valid', 'valid', 'outOfRange', 'outOfRange', 'outOfRange', 'bogus']);
  });

  it('a message names a field when it says spec.<field>', () => {
    assert.ok(namesField('PostgresOpsRequest.opsflow.dev "x" is invalid: spec.timeout: Invalid value'));
    assert.ok(namesField('spec.configuration.applyConfig["user.conf"]: unknown parameter'));
    assert.ok(!namesField('Invalid duration string: \'1h30m\''));
    assert.ok(!namesField(undefined));
  });

  it('harmful and malformed lines must have been refused; others may apply', () => {
    assert.equal(mustHaveBeenRefused([{ line: 'work_mem = 8MB', kind: 'valid' }]), undefined);
    assert.match(mustHaveBeenRefused([{ line: "archive_command = 'true'", kind: 'harmful' }]) ?? '', /harmful line accepted: archive_command/);
  });

  it('snapshot differences say what changed', () => {
    const a = { pods: { 'fz0-0': 'u1' }, statefulSetGeneration: 1, configSecret: 'h', databaseSpec: '{}', databaseGeneration: 1 };
    assert.equal(snapshotDiff(a, { ...a }), '');
    assert.match(snapshotDiff(a, { ...a, pods: { 'fz0-0': 'u2' }, statefulSetGeneration: 2 }), /Pod UIDs .* StatefulSet generation 1 → 2/);
  });
});
