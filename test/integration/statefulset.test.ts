// Smoke test: the real StatefulSet controller creates Pods, the scheduler binds them to kwok's fake
// nodes, kwok marks them Ready, and a deleted Pod is recreated with a new UID.
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { clients, eventually, isReady, tempNamespace } from '../support/kube.ts';

describe('StatefulSet on the local cluster', function () {
  this.timeout(120_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  before(async () => { ns = await tempNamespace('smoke-sts'); });
  after(async () => { await ns.remove(); });

  const readyPods = async (): Promise<V1Pod[] | undefined> => {
    const { core } = clients();
    const pods = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' })).items;
    const ready = pods.filter((p) => isReady(p) && !p.metadata?.deletionTimestamp);
    return ready.length === 3 ? ready : undefined;
  };

  it('gets 3 Ready Pods, and a deleted Pod comes back with a new UID', async () => {
    const { apps, core } = clients();
    await apps.createNamespacedStatefulSet({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          serviceName: 'web',
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'postgres:16.4' }] },
          },
        },
      },
    });
    const pods = await eventually('3 Ready pods of StatefulSet web', readyPods, 90_000);
    assert.deepEqual(pods.map((p) => p.metadata?.name).sort(), ['web-0', 'web-1', 'web-2']);
    for (const p of pods) assert.ok(p.spec?.nodeName?.startsWith('kwok-node-'), `${p.metadata?.name} is bound to a kwok node`);

    const before = pods.find((p) => p.metadata?.name === 'web-1');
    const oldUid = before?.metadata?.uid;
    assert.ok(oldUid);
    await core.deleteNamespacedPod({ name: 'web-1', namespace: ns.name });
    const replacement = await eventually('web-1 recreated and Ready', async () => {
      const p = await core.readNamespacedPod({ name: 'web-1', namespace: ns.name });
      return p.metadata?.uid !== oldUid && isReady(p) ? p : undefined;
    }, 90_000);
    assert.notEqual(replacement.metadata?.uid, oldUid);
    const sts = await apps.readNamespacedStatefulSet({ name: 'web', namespace: ns.name });
    assert.equal(sts.status?.readyReplicas, 3);
  });
});
