// The Postgres sync probe against real Postgres on loopback: a streaming standby passes; a standby
// whose replay is paused while the primary writes fails, with the lag in the message.
import assert from 'node:assert/strict';
import { gatherSyncFacts } from '../../src/activities/postgres-sync.ts';
import { syncProblems } from '../../src/engines/postgres/sync.ts';
import { pinnedPostgresVersion } from '../../devenv/postgres.ts';
import { query } from '../../devenv/postgres-process.ts';
import { waitFor } from '../../devenv/process.ts';
import { LocalPods, password } from '../support/local-pods.ts';

const threshold = 16 * 1024 * 1024;

describe('Postgres sync probe (real Postgres)', function () {
  this.timeout(300_000);
  let pods: LocalPods;
  let failed = false;
  before(async () => {
    pods = new LocalPods('127.1.251');
    const v = pinnedPostgresVersion(16);
    const primary = pods.pod('sync-0', 1);
    const standby = pods.pod('sync-1', 2);
    await pods.start(primary, primary, v);
    await pods.start(standby, primary, v);
  });
  afterEach(function () { if (this.currentTest?.state === 'failed') failed = true; });
  after(async () => { await pods?.cleanup(failed); });

  const cred = { user: 'postgres', password };
  const members = () => {
    const p = pods.pod('sync-0', 1);
    const s = pods.pod('sync-1', 2);
    return { primary: { name: p.name, host: p.ip }, standby: { name: s.name, host: s.ip }, s };
  };

  it('passes for a streaming standby', async () => {
    const { primary, standby } = members();
    let problems: string[] = ['not checked'];
    await waitFor('the standby streaming', async () => {
      problems = syncProblems(await gatherSyncFacts(primary, [standby], cred), threshold, 0.2);
      return problems.length === 0;
    }, 60_000, 500);
    assert.deepEqual(problems, []);
  });

  it('fails for a standby held behind (replay paused), naming the lag', async () => {
    const { primary, standby, s } = members();
    await query(s.target, 'SELECT pg_wal_replay_pause()');
    try {
      await query(pods.pod('sync-0', 1).target, "CREATE TABLE bulk AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 150000) g");
      await query(pods.pod('sync-0', 1).target, 'SELECT pg_switch_wal()');
      let problems: string[] = [];
      await waitFor('the lag to show', async () => {
        problems = syncProblems(await gatherSyncFacts(primary, [standby], cred), threshold, 0.2);
        return problems.some((p) => /replay lag/.test(p));
      }, 60_000, 500);
      const lag = problems.find((p) => /replay lag/.test(p)) ?? '';
      assert.match(lag, /standby sync-1 replay lag is \d+ bytes \(threshold 16777216\)/);
      assert.ok(Number(/lag is (\d+)/.exec(lag)?.[1]) > threshold);
    } finally {
      await query(s.target, 'SELECT pg_wal_replay_resume()');
    }
    await waitFor('the standby catching up', async () => syncProblems(await gatherSyncFacts(primary, [standby], cred), threshold, 0.2).length === 0, 60_000, 500);
  });
});
