// The type checker and the linter (with the workflow determinism rules) are part of the test run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';

const bin = (name: string) => join(repoDir, 'node_modules', '.bin', name);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('static checks', function () {
  // Under a loaded machine tsc alone takes minutes.
  this.timeout(420_000);
  it('nothing in src/ imports devenv/, bench/ or test/ (the image ships src/ only)', () => {
    const offenders = tsFiles(join(repoDir, 'src')).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^;]*?from\s+'([^']+)'/gm)]
        .map((m) => m[1] ?? '')
        .filter((spec) => /^(\.\.\/)+(devenv|bench|test)\//.test(spec))
        .map((spec) => `${relative(repoDir, f)} imports ${spec}`));
    assert.deepEqual(offenders, []);
  });
  it('tsc --noEmit reports no type errors (strict mode)', () => {
    const r = spawnSync(bin('tsc'), ['--noEmit', '-p', repoDir], { encoding: 'utf8', cwd: repoDir });
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  });
  it('eslint reports no problems', () => {
    const r = spawnSync(bin('eslint'), ['src', 'test', 'devenv', 'bench', 'scripts'], { encoding: 'utf8', cwd: repoDir });
    assert.equal(r.status, 0, `eslint failed:\n${r.stdout}${r.stderr}`);
  });
});
