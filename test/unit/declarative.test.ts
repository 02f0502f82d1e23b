// Declarative changes (pure): what an edit of spec.version / a config Secret reference on the
// database becomes: the first provision, nothing, an OpsRequest owned by the database, or a condition.
import assert from 'node:assert/strict';
import { PostgresSchema, SingleStoreSchema, type Database } from '../../src/api/databases.ts';
import {
  effectiveDatabase, opsRequestsFor, pendingChanges, planDeclarative, shortHash, type ExistingOps,
} from '../../src/engines/declarative.ts';

const pg = (spec: Record<string, unknown>, applied?: object) => PostgresSchema.parse({
  apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'pg', namespace: 'ns', uid: 'uid-1', generation: 3 },
  spec: { version: '16.15', replicas: 3, ...spec }, ...(applied ? { status: { applied } } : {}),
}) as Database;
const none = new Map<string, ExistingOps>();

describe('declarative changes (pure)', () => {
  it('a database without status.applied is a first provision: the spec is rendered and recorded', () => {
    const db = pg({ configSecret: { name: 'cfg' } });
    const d = planDeclarative(db, none, false);
    assert.equal(d.kind, 'FirstProvision');
    assert.deepEqual(d.kind === 'FirstProvision' && d.record, { version: '16.15', configSecrets: { 'spec.configSecret': 'cfg' }, replicas: { 'spec.replicas': 3 } });
    assert.equal(d.render, db);
  });

  it('nothing pending: renders the applied state, no OpsRequest; UpdatePending goes False only when it was shown', () => {
    const db = pg({}, { version: '16.15', configSecrets: {} });
    const d = planDeclarative(db, none, false);
    assert.equal(d.kind, 'UpToDate');
    assert.equal(d.kind === 'UpToDate' && d.condition, undefined);
    const again = planDeclarative(db, none, true);
    assert.equal(again.kind === 'UpToDate' && again.condition?.status, 'False');
  });

  it('spec.version edited: keeps rendering the running version and creates one UpdateVersion owned by the database', () => {
    const db = pg({}, { version: '16.13', configSecrets: {} });
    const d = planDeclarative(db, none, false);
    assert.equal(d.kind, 'Pending');
    if (d.kind !== 'Pending') return;
    assert.equal(d.render.spec.version, '16.13', 'the running image stays rendered');
    assert.equal(d.create.length, 1);
    const [ops] = d.create;
    assert.equal(ops?.kind, 'PostgresOpsRequest');
    assert.match(ops?.metadata.name ?? '', /^pg-update-16\.15-[0-9a-z]{7}$/);
    assert.deepEqual(ops?.spec, { databaseRef: { name: 'pg' }, type: 'UpdateVersion', updateVersion: { targetVersion: '16.15' } });
    assert.equal(ops?.metadata.ownerReferences[0]?.uid, 'uid-1');
    assert.equal(ops?.metadata.ownerReferences[0]?.kind, 'Postgres');
    assert.equal(d.condition.reason, 'OpsRequestInProgress');
    assert.match(d.condition.message, /spec\.version 16\.13 → 16\.15: PostgresOpsRequest pg-update-16\.15-\w+ Pending/);
  });

  it('is idempotent: the same change gives the same name, and an existing request is not created again', () => {
    const db = pg({}, { version: '16.13', configSecrets: {} });
    const a = planDeclarative(db, none, false);
    const name = a.kind === 'Pending' ? a.create[0]?.metadata.name ?? '' : '';
    const b = planDeclarative(db, none, true);
    assert.equal(b.kind === 'Pending' && b.create[0]?.metadata.name, name);
    const c = planDeclarative(db, new Map([[name, { phase: 'Progressing' }]]), true);
    assert.deepEqual(c.kind === 'Pending' && c.create, []);
    assert.match(c.kind === 'Pending' ? c.condition.message : '', /Progressing/);
    // Another target (edited again while one runs) is another request, which queues behind the first.
    const d = planDeclarative(pg({ version: '16.17' }, { version: '16.13', configSecrets: {} }), new Map([[name, { phase: 'Progressing' }]]), true);
    assert.notEqual(d.kind === 'Pending' && d.create[0]?.metadata.name, name);
  });

  it('a failed request is reported, not retried', () => {
    const db = pg({}, { version: '16.13', configSecrets: {} });
    const first = planDeclarative(db, none, false);
    const name = first.kind === 'Pending' ? first.create[0]?.metadata.name ?? '' : '';
    const d = planDeclarative(db, new Map([[name, { phase: 'Failed', message: 'pg_upgrade failed' }]]), true);
    assert.equal(d.kind === 'Pending' && d.create.length, 0);
    assert.equal(d.kind === 'Pending' && d.condition.reason, 'OpsRequestFailed');
    assert.match(d.kind === 'Pending' ? d.condition.message : '', /pg_upgrade failed.*delete it to retry/);
  });

  it('the same change again after its request succeeded (A → B → A → B) gets the next name in the chain', () => {
    const db = pg({ configSecret: { name: 'b' } }, { version: '16.15', configSecrets: { 'spec.configSecret': 'a' } });
    const first = planDeclarative(db, none, false);
    const name = first.kind === 'Pending' ? first.create[0]?.metadata.name ?? '' : '';
    const again = planDeclarative(db, new Map([[name, { phase: 'Successful' }]]), true);
    assert.equal(again.kind === 'Pending' && again.create[0]?.metadata.name, `${name}-2`);
    const running = planDeclarative(db, new Map([[name, { phase: 'Successful' }], [`${name}-2`, { phase: 'Pending' }]]), true);
    assert.deepEqual(running.kind === 'Pending' && running.create, []);
  });

  it('spec.version older than what runs (left behind by a failed UpdateVersion) never becomes a downgrade; other changes still do', () => {
    const db = pg({ version: '16.13' }, { version: '16.15', configSecrets: {} });
    const d = planDeclarative(db, none, false);
    assert.equal(d.kind, 'Pending');
    if (d.kind !== 'Pending') return;
    assert.deepEqual(d.create, [], 'no OpsRequest');
    assert.equal(d.render.spec.version, '16.15', 'the running version stays rendered');
    assert.equal(d.condition.reason, 'NewerVersionRunning');
    assert.match(d.condition.message, /spec\.version 16\.13 is older than the running version 16\.15.*downgrades are not allowed/);
    const withConfig = planDeclarative(pg({ version: '16.13', configSecret: { name: 'c' } }, { version: '16.15', configSecrets: {} }), none, false);
    assert.deepEqual(withConfig.kind === 'Pending' && withConfig.create.map((o) => o.spec.type), ['Reconfigure']);
  });

  it('updatePolicy Disabled: no OpsRequest, the running version rendered, a condition naming field and values', () => {
    const db = pg({ updatePolicy: 'Disabled' }, { version: '16.13', configSecrets: {} });
    const d = planDeclarative(db, none, false);
    assert.equal(d.kind, 'Pending');
    if (d.kind !== 'Pending') return;
    assert.deepEqual(d.create, []);
    assert.equal(d.render.spec.version, '16.13');
    assert.deepEqual({ type: d.condition.type, status: d.condition.status, reason: d.condition.reason }, { type: 'UpdatePending', status: 'True', reason: 'UpdatePolicyDisabled' });
    assert.equal(d.condition.message, 'spec.version 16.13 → 16.15 is not applied: spec.updatePolicy is Disabled; create a PostgresOpsRequest');
  });

  it('a config Secret edit becomes a Reconfigure naming the Secret (never its data); removal becomes removeCustomConfig', () => {
    const db = pg({ configSecret: { name: 'new-cfg' } }, { version: '16.15', configSecrets: { 'spec.configSecret': 'old-cfg' } });
    const d = planDeclarative(db, none, false);
    if (d.kind !== 'Pending') throw new Error(d.kind);
    assert.equal(d.render.spec.configSecret?.name, 'old-cfg', 'the running config stays rendered');
    assert.deepEqual(d.create[0]?.spec, { databaseRef: { name: 'pg' }, type: 'Reconfigure', configuration: { configSecret: { name: 'new-cfg' } } });
    assert.match(d.create[0]?.metadata.name ?? '', /^pg-reconfigure-\w{7}$/);
    const removed = opsRequestsFor(pg({}), pendingChanges({ version: '16.15', configSecrets: { 'spec.configSecret': 'old-cfg' } }, { version: '16.15', configSecrets: {} }));
    assert.deepEqual(removed[0]?.body.spec.configuration, { removeCustomConfig: true });
  });

  it('version and config edited together: an UpdateVersion and a Reconfigure', () => {
    const db = pg({ configSecret: { name: 'b' } }, { version: '16.13', configSecrets: { 'spec.configSecret': 'a' } });
    const d = planDeclarative(db, none, false);
    assert.deepEqual(d.kind === 'Pending' && d.create.map((o) => o.spec.type), ['UpdateVersion', 'Reconfigure']);
  });

  it('SingleStore: per-role config Secrets (a role without its own uses spec.configSecret) become one Reconfigure', () => {
    const sdb = SingleStoreSchema.parse({
      apiVersion: 'opsflow.dev/v1alpha1', kind: 'SingleStore', metadata: { name: 's', namespace: 'ns', uid: 'u' },
      spec: { version: '8.7.10', topology: { aggregator: { replicas: 1, configSecret: { name: 'agg2' } }, leaf: { replicas: 2 } } },
      status: { applied: { version: '8.7.10', configSecrets: { 'spec.topology.aggregator.configSecret': 'agg1', 'spec.topology.leaf.configSecret': 'leaf1' } } },
    }) as Database;
    const d = planDeclarative(sdb, none, false);
    if (d.kind !== 'Pending') throw new Error(d.kind);
    assert.equal(d.create.length, 1);
    assert.equal(d.create[0]?.kind, 'SingleStoreOpsRequest');
    assert.deepEqual(d.create[0]?.spec.configuration, { aggregator: { configSecret: { name: 'agg2' } }, leaf: { removeCustomConfig: true } });
    const r = effectiveDatabase(sdb, sdb.status?.applied ?? { version: '' });
    assert.equal(r.kind === 'SingleStore' && r.spec.topology.aggregator.configSecret?.name, 'agg1');
    assert.equal(r.kind === 'SingleStore' && r.spec.topology.leaf.configSecret?.name, 'leaf1');
  });

  it('shortHash is stable and spreads', () => {
    assert.equal(shortHash('a'), shortHash('a'));
    assert.notEqual(shortHash('a|b'), shortHash('a|c'));
    assert.match(shortHash(''), /^[0-9a-z]{7}$/);
  });
});
