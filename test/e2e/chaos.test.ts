// A short fixed-seed slice of `npm run chaos`: three schedules (a minor update, a Reconfigure that
// restarts, another minor update) with the worker, the watcher and the Temporal dev server SIGKILLed
// and the kube-apiserver restarted at their moments, on real Postgres Pods. The guarantees hold for
// every schedule: the run ends within the bound, no Pod is replaced twice, the database is resumed,
// and a Successful run is in effect on every member.
import assert from 'node:assert/strict';
import { runChaos } from '../../bench/chaos/run.ts';
import { formatOutcome } from '../../bench/chaos/report.ts';

// Seed 15 draws all four faults over these three schedules (see the log for the schedule).
const SEED = 15;

describe('chaos (fixed seed, 3 schedules): SIGKILLs and a kube-apiserver restart mid-operation', function () {
  this.timeout(1_500_000);

  it('every run final within the bound, no Pod replaced twice, every database resumed', async () => {
    const lines: string[] = [];
    const r = await runChaos({
      seed: SEED, k: 3, boundMs: 240_000, totalMs: 20 * 60_000,
      schedules: { operations: ['UpdateVersionMinor', 'Reconfigure', 'Restart'], replicas: 2 },
      log: (l) => {
        lines.push(l);
        process.stdout.write(`      ${l}\n`);
      },
    });
    const t = r.tally;
    const detail = r.outcomes.map(formatOutcome).join('\n');
    assert.equal(r.notRun, 0, 'all three schedules ran');
    assert.equal(t.setupErrors, 0, `every database became Ready before its operation\n${detail}`);
    assert.equal(t.notFinal, 0, `runs not final after the bound\n${detail}`);
    assert.equal(t.podsReplacedMoreThanOnce, 0, `Pods replaced more than once\n${detail}`);
    assert.equal(t.databasesLeftPaused, 0, `databases left paused\n${detail}`);
    assert.equal(t.successfulButWrong, 0, `Successful runs not in effect\n${detail}`);
    for (const o of r.outcomes.filter((x) => x.phase === 'Failed')) assert.ok(o.message?.trim(), `a Failed run says why\n${formatOutcome(o)}`);
    assert.ok(r.outcomes.flatMap((o) => o.faults).some((f) => f.firedAtMs !== undefined), 'at least one fault struck a running operation');
  });
});
