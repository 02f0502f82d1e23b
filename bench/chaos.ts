// `npm run chaos [-- --k 30 --seed 7 --bound 600 --minutes 90 --ops Restart,Reconfigure --faults kill-worker]`:
// K seeded schedules that SIGKILL the worker, the watcher and the Temporal dev server and restart the
// kube-apiserver at random moments of Postgres operations, then the counts. Starts (or reuses) the
// local stack like `npm test`; exits 1 when a guarantee broke (a Pod replaced twice, a database left
// paused, a run not final within the bound, a Successful run not in effect).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoDir } from '../devenv/paths.ts';
import { startStack, stopStack } from '../devenv/stack.ts';
import { runChaos } from './chaos/run.ts';
import { faultKinds, operations, type FaultKind, type Operation } from './chaos/schedule.ts';

const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '10' },
    seed: { type: 'string' },
    bound: { type: 'string', default: '600' },
    minutes: { type: 'string', default: '60' },
    ops: { type: 'string' },
    faults: { type: 'string' },
    replicas: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

function num(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: "${v}" is not a non-negative number`);
  return n;
}
function list<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(',').map((x) => x.trim());
  const bad = xs.filter((x) => !allowed.includes(x as T));
  if (bad.length) throw new Error(`--${name}: unknown ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
  return xs as T[];
}

const seed = values.seed !== undefined ? num('seed', values.seed) : Math.floor(Math.random() * 2 ** 31);
const opts = {
  seed, k: num('k', values.k), boundMs: num('bound', values.bound) * 1000, totalMs: num('minutes', values.minutes) * 60_000, keep: values.keep,
  schedules: {
    operations: list<Operation>('ops', values.ops, operations), faults: list<FaultKind>('faults', values.faults, faultKinds),
    replicas: values.replicas !== undefined ? num('replicas', values.replicas) : undefined,
  },
};

if (process.env.OPSFLOW_SKIP_SETUP !== '1') {
  const setup = spawnSync('bash', [join(repoDir, 'infra', 'setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) throw new Error('infra/setup.sh failed (see its output above)');
}
const stack = await startStack();
process.env.KUBECONFIG = stack.kubeconfig;
let code = 1;
try {
  const r = await runChaos(opts);
  const t = r.tally;
  code = t.podsReplacedMoreThanOnce + t.databasesLeftPaused + t.notFinal + t.successfulButWrong > 0 ? 1 : 0;
  process.stdout.write(`re-run: npm run chaos -- --seed ${seed} --k ${opts.k}\n`);
} finally {
  await stopStack(stack);
}
process.exit(code);
