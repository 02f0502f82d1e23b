// `kubectl opsflow`: kubectl's plugin conventions (pure parts; the e2e runs it through kubectl).
import assert from 'node:assert/strict';
import { hoistGlobalFlags, programName } from '../../src/starter/cli/plugin.ts';

describe('kubectl plugin conventions', () => {
  const cases: Array<[string[], string[]]> = [
    [['list', '-A'], ['list', '-A']],
    [['-n', 'demo', 'list'], ['list', '-n', 'demo']],
    [['--context=kind', '-o', 'yaml', 'status', 'x'], ['status', '--context=kind', '-o', 'yaml', 'x']],
    [['-A', '--kubeconfig', '/k', 'list', '--phase', 'Failed'], ['list', '-A', '--kubeconfig', '/k', '--phase', 'Failed']],
    [['-n'], ['-n']],
    [['--wait', 'submit'], ['--wait', 'submit']],
  ];
  for (const [argv, want] of cases) it(`${argv.join(' ')} → ${want.join(' ')}`, () => assert.deepEqual(hoistGlobalFlags(argv), want));

  it('names itself kubectl opsflow when run as kubectl-opsflow', () => {
    assert.equal(programName('/usr/local/bin/kubectl-opsflow'), 'kubectl opsflow');
    assert.equal(programName('/repo/bin/kubectl-opsflow.js'), 'kubectl opsflow');
    assert.equal(programName('/repo/bin/opsflow.js'), 'opsflow');
  });
});
