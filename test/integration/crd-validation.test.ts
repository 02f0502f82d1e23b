// The API server itself enforces opsflow's CRD schemas: each invalid object is rejected with a
// message naming the field, and nothing is stored.
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/api/common.ts';
import { kindInfo } from '../../src/api/kinds.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, tempNamespace } from '../support/kube.ts';

type Obj = { kind: string; metadata: { name: string }; spec?: unknown };

const pgops = (spec: unknown): Obj => ({ kind: 'PostgresOpsRequest', metadata: { name: 'bad' }, spec });
const cases: Array<{ name: string; obj: Obj; field: RegExp }> = [
  { name: 'Postgres without spec.version', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { replicas: 1 } }, field: /spec\.version/ },
  { name: 'Postgres with replicas 0', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '16.15', replicas: 0 } }, field: /spec\.replicas/ },
  { name: 'Postgres with an unknown storageType', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '16.15', storageType: 'Floppy' } }, field: /spec\.storageType/ },
  { name: 'Postgres with a bad storage quantity', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '16.15', storage: { resources: { requests: { storage: 'lots' } } } } }, field: /spec\.storage\.resources\.requests\.storage/ },
  { name: 'Postgres without spec', obj: { kind: 'Postgres', metadata: { name: 'bad' } }, field: /spec/ },
  { name: 'SingleStore without topology.leaf', obj: { kind: 'SingleStore', metadata: { name: 'bad' }, spec: { version: '8.7.10', topology: { aggregator: { replicas: 1 } } } }, field: /spec\.topology\.leaf/ },
  { name: 'PostgresOpsRequest with an unknown type', obj: pgops({ type: 'Defragment', databaseRef: { name: 'pg' } }), field: /spec\.type/ },
  { name: 'PostgresOpsRequest without databaseRef', obj: pgops({ type: 'Restart' }), field: /spec\.databaseRef/ },
  { name: 'UpdateVersion without spec.updateVersion', obj: pgops({ type: 'UpdateVersion', databaseRef: { name: 'pg' } }), field: /spec\.updateVersion/ },
  { name: 'Reconfigure without spec.configuration', obj: pgops({ type: 'Reconfigure', databaseRef: { name: 'pg' } }), field: /spec\.configuration/ },
  { name: 'Restart carrying an updateVersion', obj: pgops({ type: 'Restart', databaseRef: { name: 'pg' }, updateVersion: { targetVersion: '16.15' } }), field: /spec\.updateVersion/ },
  { name: 'an OpsRequest with a bad timeout', obj: pgops({ type: 'Restart', databaseRef: { name: 'pg' }, timeout: 'soon' }), field: /spec\.timeout/ },
  { name: 'an OpsRequest with apply: Sometimes', obj: pgops({ type: 'Restart', databaseRef: { name: 'pg' }, apply: 'Sometimes' }), field: /spec\.apply/ },
  { name: 'an OpsRequest with primaryUpdateMethod: Sometimes', obj: pgops({ type: 'Restart', databaseRef: { name: 'pg' }, primaryUpdateMethod: 'Sometimes' }), field: /spec\.primaryUpdateMethod/ },
  { name: 'Reconfigure with restart: maybe', obj: pgops({ type: 'Reconfigure', databaseRef: { name: 'pg' }, configuration: { restart: 'maybe' } }), field: /spec\.configuration\.restart/ },
  { name: 'SingleStoreOpsRequest Reconfigure with no topology', obj: { kind: 'SingleStoreOpsRequest', metadata: { name: 'bad' }, spec: { type: 'Reconfigure', databaseRef: { name: 's' }, configuration: {} } }, field: /spec\.configuration/ },
  { name: 'ProxySQLOpsRequest without proxyRef', obj: { kind: 'ProxySQLOpsRequest', metadata: { name: 'bad' }, spec: { type: 'Restart' } }, field: /spec\.proxyRef/ },
  // KubeDB v1 fields opsflow does not implement: refused saying so, never pruned or ignored.
  { name: 'Postgres with KubeDB\'s spec.tls (not implemented)', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '18.3', tls: { issuerRef: { name: 'ca' } } } }, field: /spec\.tls: KubeDB's field is not implemented by opsflow; remove it/ },
  { name: 'Postgres with KubeDB\'s spec.monitor (not implemented)', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '18.3', monitor: { agent: 'prometheus.io' } } }, field: /spec\.monitor: KubeDB's field is not implemented by opsflow/ },
  { name: 'VerticalScaling without spec.verticalScaling', obj: pgops({ type: 'VerticalScaling', databaseRef: { name: 'pg' } }), field: /spec\.verticalScaling is required when spec\.type is VerticalScaling/ },
  { name: 'Restart with spec.verticalScaling', obj: pgops({ type: 'Restart', databaseRef: { name: 'pg' }, verticalScaling: { postgres: { resources: { requests: { cpu: '1' } } } } }), field: /spec\.verticalScaling is only allowed when spec\.type is VerticalScaling/ },
  { name: 'Postgres with spec.configuration.tuning (not implemented)', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '18.3', configuration: { tuning: { profile: 'web' } } } }, field: /spec\.configuration\.tuning \(KubeDB auto-tuning\) is not implemented by opsflow/ },
  { name: 'Postgres with both spec.configSecret and spec.configuration', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '18.3', configSecret: { name: 'a' }, configuration: { secretName: 'b' } } }, field: /spec\.configSecret and spec\.configuration are two spellings/ },
  { name: 'Postgres with an inline key other than user.conf', obj: { kind: 'Postgres', metadata: { name: 'bad' }, spec: { version: '18.3', configuration: { inline: { 'postgresql.conf': 'x = 1' } } } }, field: /spec\.configuration\.inline: only the key user\.conf is supported/ },
  { name: 'ProxySQLOpsRequest with a cleartext mysql user password', obj: { kind: 'ProxySQLOpsRequest', metadata: { name: 'bad' }, spec: { type: 'Reconfigure', proxyRef: { name: 'p' }, configuration: { mysqlUsers: { users: [{ username: 'u', password: 'hunter2' }], reqType: 'add' } } } }, field: /spec\.configuration\.mysqlUsers\.users\[0\]\.password: Forbidden: a cleartext password is not accepted in an OpsRequest .*passwordSecretRef/ },
  { name: 'ProxySQLOpsRequest mysqlUsers with a bad reqType', obj: { kind: 'ProxySQLOpsRequest', metadata: { name: 'bad' }, spec: { type: 'Reconfigure', proxyRef: { name: 'p' }, configuration: { mysqlUsers: { users: [{ username: 'u' }], reqType: 'upsert' } } } }, field: /spec\.configuration\.mysqlUsers\.reqType/ },
];

describe('CRD validation by the real API server', function () {
  this.timeout(60_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('crd-validation');
  });
  after(async () => { await ns.remove(); });

  const create = (obj: Obj) => clients().custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: kindInfo(obj.kind).plural, namespace: ns.name,
    body: { apiVersion: `${GROUP}/${VERSION}`, ...obj },
  });

  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      await assert.rejects(create(c.obj), (e: unknown) => {
        assert.ok(e instanceof ApiException, String(e));
        assert.equal(e.code, 422, String(e.body));
        const message = (JSON.parse(String(e.body)) as { message: string }).message;
        assert.match(message, c.field);
        return true;
      });
    });
  }

  it('rejects an edit of an OpsRequest spec (immutable) and keeps the original', async () => {
    const { custom } = clients();
    const plural = 'postgresopsrequests';
    await create(pgops({ type: 'UpdateVersion', databaseRef: { name: 'pg' }, updateVersion: { targetVersion: '16.15' } }));
    const cur = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ns.name, name: 'bad' })) as { spec: { updateVersion: { targetVersion: string } } };
    cur.spec.updateVersion.targetVersion = '17.11';
    await assert.rejects(custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ns.name, name: 'bad', body: cur }),
      (e: unknown) => e instanceof ApiException && e.code === 422 && /spec is immutable/.test(String(e.body)));
    const after = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ns.name, name: 'bad' })) as { spec: { updateVersion: { targetVersion: string }; apply: string } };
    assert.equal(after.spec.updateVersion.targetVersion, '16.15');
    assert.equal(after.spec.apply, 'IfReady', 'the API server applied the schema default');
  });

  it('stores nothing for the rejected objects', async () => {
    const list = (await clients().custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'postgreses', namespace: ns.name })) as { items: unknown[] };
    assert.equal(list.items.length, 0);
  });
});
