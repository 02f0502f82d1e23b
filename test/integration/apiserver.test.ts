// Smoke test of the integration layer: objects round-trip through the real kube-apiserver, which
// itself rejects invalid ones.
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { clients, tempNamespace } from '../support/kube.ts';

describe('kube-apiserver (real, local)', function () {
  this.timeout(60_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  before(async () => { ns = await tempNamespace('smoke-api'); });
  after(async () => { await ns.remove(); });

  it('stores a ConfigMap and returns it with server-set fields', async () => {
    const { core } = clients();
    const created = await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'round-trip', labels: { app: 'opsflow' } }, data: { 'postgresql.conf': 'max_connections = 200\n' } },
    });
    const read = await core.readNamespacedConfigMap({ name: 'round-trip', namespace: ns.name });
    assert.equal(read.data?.['postgresql.conf'], 'max_connections = 200\n');
    assert.equal(read.metadata?.labels?.app, 'opsflow');
    assert.ok(read.metadata?.uid, 'the server assigns a UID');
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    assert.ok(Number(read.metadata?.resourceVersion) > 0);
  });

  it('rejects an invalid object with a message naming the field', async () => {
    const { core } = clients();
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'Not_A_Valid_Name' }, data: {} } }),
      (e: unknown) => {
        assert.ok(e instanceof ApiException, `expected an ApiException, got ${String(e)}`);
        assert.equal(e.code, 422);
        assert.match(String(e.body), /metadata\.name/);
        return true;
      },
    );
    const list = await core.listNamespacedConfigMap({ namespace: ns.name });
    assert.ok(!list.items.some((c) => c.metadata?.name === 'Not_A_Valid_Name'), 'nothing was stored');
  });
});
