// The type checker and the linter (with the workflow determinism rules) are part of the test run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';

const bin = (name: string) => join(repoDir, 'node_modules', '.bin', name);

describe('static checks', function () {
  this.timeout(180_000);
  it('tsc --noEmit reports no type errors (strict mode)', () => {
    const r = spawnSync(bin('tsc'), ['--noEmit', '-p', repoDir], { encoding: 'utf8', cwd: repoDir });
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  });
  it('eslint reports no problems', () => {
    const r = spawnSync(bin('eslint'), ['src', 'test', 'devenv', 'bench', 'scripts'], { encoding: 'utf8', cwd: repoDir });
    assert.equal(r.status, 0, `eslint failed:\n${r.stdout}${r.stderr}`);
  });
});
