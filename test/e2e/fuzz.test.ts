// Property-based fuzz of PostgresOpsRequest and Postgres specs (fast-check, fixed seed, few runs)
// against the real API server, watcher, worker and a real postgres: every refusal names a field,
// every accepted request ends within the bound, a refused one changes nothing, and no harmful or
// malformed config line ever takes effect. The larger run is `npm run fuzz`.
import assert from 'node:assert/strict';
import { formatFuzz, fuzzInNamespace } from '../support/fuzz/run.ts';

describe('fuzz: generated OpsRequest and database specs (fixed seed)', function () {
  this.timeout(1_200_000);

  it('refusals name a field, accepted requests end, refused ones change nothing, harmful config never applies', async () => {
    const r = await fuzzInNamespace({
      seed: 20261201, opsRuns: 14, dbRuns: 6, boundMs: 120_000,
      log: (l) => process.stdout.write(`      ${l}\n`),
    });
    process.stdout.write(`      ${formatFuzz(r)}\n`);
    const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
    assert.ok(total >= 14, `every case was judged (${total})`);
    assert.deepEqual(r.violations, []);
  });
});
