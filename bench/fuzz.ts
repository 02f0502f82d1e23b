// `npm run fuzz [-- --seed 7 --ops 200 --dbs 50 --bound 180]`: the fuzz test's property run, larger,
// on the local stack (started or reused like `npm test`). Prints the counts and every violation
// with the seed and case that shows it; exits 1 when there is one.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoDir } from '../devenv/paths.ts';
import { startStack, stopStack } from '../devenv/stack.ts';
import { formatFuzz, fuzzInNamespace } from '../test/support/fuzz/run.ts';

const { values } = parseArgs({ options: { seed: { type: 'string' }, ops: { type: 'string', default: '100' }, dbs: { type: 'string', default: '30' }, bound: { type: 'string', default: '180' } } });
const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: "${v}" is not a non-negative integer`);
  return n;
};
const seed = values.seed !== undefined ? num('seed', values.seed) : Math.floor(Math.random() * 2 ** 31);
if (process.env.OPSFLOW_SKIP_SETUP !== '1') {
  const setup = spawnSync('bash', [join(repoDir, 'infra', 'setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) throw new Error('infra/setup.sh failed (see its output above)');
}
const stack = await startStack();
process.env.KUBECONFIG = stack.kubeconfig;
process.env.TEMPORAL_ADDRESS = stack.temporalAddress;
let code = 1;
try {
  const r = await fuzzInNamespace({ seed, opsRuns: num('ops', values.ops), dbRuns: num('dbs', values.dbs), boundMs: num('bound', values.bound) * 1000, log: (l) => process.stdout.write(`${l}\n`) });
  process.stdout.write(`${formatFuzz(r)}\nre-run: npm run fuzz -- --seed ${seed} --ops ${values.ops} --dbs ${values.dbs}\n`);
  code = r.violations.length ? 1 : 0;
} finally {
  await stopStack(stack);
}
process.exit(code);
