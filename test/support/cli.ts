// Runs the `opsflow` command (bin/opsflow.js) as a real child process, for CLI end-to-end tests.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoDir } from '../../devenv/paths.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 600_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoDir, 'bin', 'opsflow.js'), ...args], { cwd: repoDir, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

/** Pure: a readable dump of a result for assertion messages. */
export const show = (r: CliResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
