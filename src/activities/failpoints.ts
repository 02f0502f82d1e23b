// Failpoints for crash tests (test-only; inert unless OPSFLOW_FAILPOINTS is set): at a named point
// the worker process SIGKILLs itself, once per point (a file in OPSFLOW_FAILPOINTS_DIR records that
// it fired), so a test can kill the real worker at every step of an activity in one run: each
// restarted worker's retry gets one point further.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function failpoint(name: string): void {
  const armed = process.env.OPSFLOW_FAILPOINTS;
  const dir = process.env.OPSFLOW_FAILPOINTS_DIR;
  if (!armed || !dir || !armed.split(',').includes(name)) return;
  const fired = join(dir, name);
  if (existsSync(fired)) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(fired, `${new Date().toISOString()} pid ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}
