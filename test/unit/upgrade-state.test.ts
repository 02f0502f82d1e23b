// The rollback decision of a failed major upgrade (pure): from the marker bootstrap.sh leaves in the
// primary's termination message and the server's own answer, never from the step's outcome.
import assert from 'node:assert/strict';
import { markerOf } from '../../src/activities/postgres-upgrade.ts';
import { decideRollback, parseUpgradeMarker, type UpgradeEvidence } from '../../src/engines/postgres/upgrade-state.ts';

const OLD = 'postgres:16.13';
const NEW = 'postgres:17.11';
const base: UpgradeEvidence = { pod: 'pg-0', image: NEW, ready: false, started: true };
const marker = (state: string, from = 16, to = 17) => ({ state, from, to }) as UpgradeEvidence['marker'];

describe('major upgrade rollback decision (pure)', () => {
  const cases: Array<{ name: string; e: Partial<UpgradeEvidence>; action: string; reason: RegExp }> = [
    { name: 'the primary was never rolled (still the old image)', e: { image: OLD, ready: true, serverMajor: 16 }, action: 'Rollback', reason: /still runs postgres:16\.13/ },
    { name: 'an init container failed: the new container never started', e: { started: false }, action: 'Rollback', reason: /never started/ },
    { name: 'pg_upgrade --check failed (marker not-linked)', e: { marker: marker('not-linked') }, action: 'Rollback', reason: /stopped before linking.*intact/ },
    { name: 'pg_upgrade finished (marker upgraded), the Pod crash-loops later', e: { marker: marker('upgraded') }, action: 'KeepUpgrade', reason: /finished/ },
    { name: 'the server answers as the new major (whatever the marker)', e: { ready: true, serverMajor: 17, marker: marker('not-linked') }, action: 'KeepUpgrade', reason: /answers as PostgreSQL 17/ },
    { name: 'linking started and failed (marker interrupted)', e: { marker: marker('interrupted') }, action: 'Refuse', reason: /started linking and did not finish.*not started again/ },
    { name: 'killed mid-link (marker linking)', e: { marker: marker('linking') }, action: 'Refuse', reason: /marker "linking"/ },
    { name: 'no marker, the new container ran (maybe still upgrading)', e: { serverProblem: 'the Pod is not Ready' }, action: 'Refuse', reason: /unknown.*the Pod is not Ready/ },
    { name: "an earlier upgrade's marker (15 → 16) says nothing about 16 → 17", e: { marker: marker('not-linked', 15, 16) }, action: 'Refuse', reason: /unknown/ },
    { name: 'no Pod at all', e: { image: undefined, started: false }, action: 'Refuse', reason: /does not exist/ },
    { name: 'another image than either', e: { image: 'postgres:16.15' }, action: 'Refuse', reason: /neither/ },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.action}`, () => {
      const v = decideRollback({ ...base, ...c.e }, 16, 17, OLD, NEW);
      assert.equal(v.action, c.action, v.reason);
      assert.match(v.reason, c.reason);
      assert.match(v.reason, /^pg-0/, 'names the Pod');
    });
  }

  it('parses the marker line anywhere in a termination message, and nothing else', () => {
    assert.deepEqual(parseUpgradeMarker('major upgrade failed:\npg_upgrade --check: ...\nopsflow-upgrade: not-linked 16 17\n'), { state: 'not-linked', from: 16, to: 17 });
    assert.deepEqual(parseUpgradeMarker('opsflow-upgrade: upgraded 15 16'), { state: 'upgraded', from: 15, to: 16 });
    for (const m of [undefined, '', 'opsflow-upgrade: done 16 17', 'opsflow-upgrade: upgraded 16', 'x opsflow-upgrade: upgraded 16 17']) {
      assert.equal(parseUpgradeMarker(m), undefined, String(m));
    }
  });

  it("reads the postgres container's current termination before its last one", () => {
    const t = (message: string) => ({ terminated: { exitCode: 1, message } });
    const status = (state: object, lastState: object) => ({ name: 'postgres', image: NEW, imageID: '', ready: false, restartCount: 2, state, lastState });
    assert.equal(markerOf(status(t('opsflow-upgrade: interrupted 16 17'), t('opsflow-upgrade: linking 16 17')))?.state, 'interrupted');
    assert.equal(markerOf(status({ running: {} }, t('opsflow-upgrade: linking 16 17')))?.state, 'linking');
    assert.equal(markerOf(status({ running: {} }, {})), undefined);
    assert.equal(markerOf(undefined), undefined);
  });
});
