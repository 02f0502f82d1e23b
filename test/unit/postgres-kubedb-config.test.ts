// KubeDB v1's spellings of a Postgres' custom config (pure): spec.configuration.secretName reads as
// spec.configSecret (so declarative changes and Reconfigure see it), writers keep the manifest's
// spelling, and spec.configuration.inline is merged on top of the Secret into a content-named one.
import assert from 'node:assert/strict';
import { PostgresSchema, type Postgres } from '../../src/api/databases.ts';
import { planDeclarative } from '../../src/engines/declarative.ts';
import { configRefPatch, materializeInline, userConfigSecretName } from '../../src/engines/postgres/inline-config.ts';

const pg = (spec: Record<string, unknown>, applied?: object): Postgres => PostgresSchema.parse({
  apiVersion: 'opsflow.dev/v1alpha1', kind: 'Postgres', metadata: { name: 'ha-postgres', namespace: 'demo', uid: 'u1', generation: 2 },
  spec: { version: '18.3', replicas: 3, ...spec }, ...(applied ? { status: { applied } } : {}),
});

describe('Postgres custom config in KubeDB v1 spelling (pure)', () => {
  it('spec.configuration.secretName is read as spec.configSecret; the manifest keeps its spelling', () => {
    const db = pg({ configuration: { secretName: 'pg-configuration' } });
    assert.deepEqual(db.spec.configSecret, { name: 'pg-configuration' });
    assert.deepEqual(db.spec.configuration, { secretName: 'pg-configuration' });
    assert.equal(pg({}).spec.configSecret, undefined);
  });

  it('an edit of spec.configuration.secretName on a running database is a declarative Reconfigure', () => {
    const db = pg({ configuration: { secretName: 'new-cfg' } }, { version: '18.3', configSecrets: { 'spec.configSecret': 'pg-configuration' } });
    const d = planDeclarative(db, new Map(), false);
    assert.equal(d.kind, 'Pending');
    if (d.kind !== 'Pending') return;
    assert.deepEqual(d.render.spec.configSecret, { name: 'pg-configuration' }, 'the running config stays rendered');
    assert.deepEqual(d.create[0]?.spec, { databaseRef: { name: 'ha-postgres' }, type: 'Reconfigure', configuration: { configSecret: { name: 'new-cfg' } } });
  });

  it('configRefPatch writes spec.configuration.secretName for v1 manifests and spec.configSecret otherwise', () => {
    assert.deepEqual(configRefPatch(pg({ configuration: { secretName: 'a' } }), 'b'), { configuration: { secretName: 'b' } });
    assert.deepEqual(configRefPatch(pg({ configuration: { secretName: 'a' } }), null), { configuration: { secretName: null } });
    assert.deepEqual(configRefPatch(pg({ configSecret: { name: 'a' } }), 'b'), { configSecret: { name: 'b' } });
    assert.deepEqual(configRefPatch(pg({}), null), { configSecret: null });
  });

  it('inline user.conf is merged over the Secret parameter by parameter into a content-named Secret', () => {
    const db = pg({ configuration: { secretName: 'pg-configuration', inline: { 'user.conf': 'max_connections=135\nwork_mem = 8MB\n' } } });
    const m = materializeInline(db, { 'user.conf': 'max_connections=200\nshared_buffers=256MB\n' });
    assert.ok(m);
    assert.equal(m.userConf, "max_connections = '135'\nshared_buffers = '256MB'\nwork_mem = '8MB'\n");
    assert.equal(m.secretName, userConfigSecretName('ha-postgres', m.userConf));
    assert.deepEqual(m.specPatch, { configSecret: null, configuration: { secretName: m.secretName, inline: null } });
    assert.equal(materializeInline(pg({ configuration: { secretName: 'x' } }), undefined), undefined, 'no inline: nothing to do');
  });

  it('an inline line that is not name = value is refused naming the field', () => {
    const db = pg({ configuration: { inline: { 'user.conf': 'max_connections\n' } } });
    assert.throws(() => materializeInline(db, undefined), /^Error: spec\.configuration\.inline\["user\.conf"\]: line 1/);
  });
});
