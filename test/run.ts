// `npm test`: installs and starts what the tests need (or reuses a healthy local stack), runs the
// unit, workflow and integration layers with mocha, stops what it started, and prints
// "N passed, N failed". The same counts go to .test-results.json for .ci/run.
import { spawnSync } from 'node:child_process';
import { globSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { repoDir } from '../devenv/paths.ts';
import { startStack, stopStack, type StackHandle } from '../devenv/stack.ts';

const layers = (process.env.OPSFLOW_TEST_LAYERS ?? 'unit,workflow,integration,e2e').split(',');
const grep = process.argv.slice(2).find((a) => !a.startsWith('-'));
const resultsFile = join(repoDir, '.test-results.json');

function writeResults(passed: number, failed: number, print = true): void {
  writeFileSync(resultsFile, JSON.stringify({ passed, failed }));
  if (print) process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
}

async function main(): Promise<number> {
  writeResults(0, 1, false); // until mocha reports, a crash counts as a failure
  if (process.env.OPSFLOW_SKIP_SETUP !== '1') {
    const setup = spawnSync('bash', [join(repoDir, 'infra', 'setup.sh')], { stdio: 'inherit' });
    if (setup.status !== 0) throw new Error('infra/setup.sh failed (see its output above)');
  }
  const needsStack = layers.some((l) => l !== 'unit');
  let stack: StackHandle | undefined;
  try {
    if (needsStack) {
      stack = await startStack();
      process.env.KUBECONFIG = stack.kubeconfig;
      process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
    }
    const mocha = new Mocha({ reporter: 'spec', timeout: 60_000, ...(grep ? { grep } : {}) });
    for (const layer of layers) {
      for (const f of globSync(`test/${layer}/**/*.test.ts`, { cwd: repoDir }).sort()) mocha.addFile(join(repoDir, f));
    }
    await mocha.loadFilesAsync();
    const stats = await new Promise<{ passes: number; failures: number }>((resolve) => {
      const runner = mocha.run(() => resolve({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 0 }));
    });
    writeResults(stats.passes, stats.failures);
    return stats.failures > 0 ? 1 : 0;
  } finally {
    if (stack) await stopStack(stack);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[opsflow] test run failed: ${e instanceof Error ? e.message : String(e)}\n`);
    writeResults(0, 1);
    process.exit(1);
  },
);
