// Leader election and write fencing against the real kube-apiserver: two electors on one Lease,
// exactly one leader at a time, a release hands over at once, an expired Lease is taken over; a
// follower's writes are refused before they leave the process; a server-side apply carrying a stale
// resourceVersion is refused by the API server (what the provisioner's conditional applies rely on).
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { makeKube } from '../../src/k8s/client.ts';
import { serverSideApply } from '../../src/k8s/apply.ts';
import { LeaderElector } from '../../src/k8s/leader-election.ts';
import { fenceWrites, isNotLeader } from '../../src/k8s/write-fence.ts';
import { createLogger } from '../../src/logger.ts';
import { withPrecondition } from '../../src/watcher/conditional-apply.ts';
import { eventually, kubeConfig, tempNamespace } from '../support/kube.ts';

describe('leader election on a Lease (real API server)', function () {
  this.timeout(120_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  const log = createLogger({ component: 'leader-test' }, 'error');
  const timings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
  const electors: LeaderElector[] = [];
  const elector = (identity: string, name = 'lease') => {
    const e = new LeaderElector({ kc: kubeConfig(), log, namespace: ns.name, name, identity, ...timings });
    electors.push(e);
    return e;
  };

  before(async () => { ns = await tempNamespace('lease'); });
  after(async () => {
    for (const e of electors) await e.stop();
    await ns?.remove();
  });

  it('exactly one of two candidates leads; a SIGTERM-style release hands over at once', async () => {
    const a = elector('a');
    const b = elector('b');
    a.start();
    await eventually('a leads', async () => (a.isLeader() ? true : undefined), 10_000, 50);
    b.start();
    const both: number[] = [];
    for (let i = 0; i < 20; i++) {
      if (a.isLeader() && b.isLeader()) both.push(i);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(both, [], 'never two leaders');
    assert.equal(b.isLeader(), false);
    const t0 = Date.now();
    await a.stop();
    await eventually('b leads', async () => (b.isLeader() ? true : undefined), 10_000, 20);
    assert.ok(Date.now() - t0 < timings.leaseDurationMs, `released Lease taken in ${Date.now() - t0} ms, before it could expire`);
    const lease = await kubeConfig().makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'lease', namespace: ns.name });
    assert.equal(lease.spec?.holderIdentity, 'b');
    assert.ok((lease.spec?.leaseTransitions ?? 0) >= 1);
  });

  it('a holder that stops renewing (crashed) is replaced after the lease duration, not before', async () => {
    const api = kubeConfig().makeApiClient(k8s.CoordinationV1Api);
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await api.createNamespacedLease({ namespace: ns.name, body: { metadata: { name: 'crashed' }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 3, renewTime: now as unknown as Date, acquireTime: now as unknown as Date } } });
    const c = elector('c', 'crashed');
    const t0 = Date.now();
    c.start();
    await eventually('c leads', async () => (c.isLeader() ? true : undefined), 15_000, 20);
    const took = Date.now() - t0;
    assert.ok(took >= 3000 && took < 3000 + 2000, `took over after ${took} ms (lease 3 s)`);
  });

  it('the write fence: a follower\'s writes are refused in-process, its reads pass; the leader\'s go through', async () => {
    let leader = false;
    const writes: string[] = [];
    const kube = makeKube(fenceWrites(kubeConfig(), { isLeader: () => leader }, (m, p) => writes.push(`${m} ${p}`)));
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fenced', namespace: ns.name }, data: { a: '1' } };
    await assert.rejects(serverSideApply(kube, cm), (e: unknown) => isNotLeader(e));
    await assert.rejects(kube.core.readNamespacedConfigMap({ name: 'fenced', namespace: ns.name }), (e: unknown) => (e as { code?: number }).code === 404, 'reads pass the fence');
    leader = true;
    await serverSideApply(kube, cm);
    assert.deepEqual(writes, [`PATCH /api/v1/namespaces/${ns.name}/configmaps/fenced`]);
  });

  it('a server-side apply with a stale resourceVersion is refused with 409 (the conditional apply)', async () => {
    const kube = makeKube(kubeConfig());
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cond', namespace: ns.name }, data: { v: 'template' } };
    const created = await serverSideApply(kube, cm);
    const stale = (created as k8s.KubernetesObject).metadata?.resourceVersion;
    await serverSideApply(kube, { ...cm, data: { v: 'changed by an operation' } }, 'opsflow-ops');
    await assert.rejects(serverSideApply(kube, withPrecondition(cm, stale)), (e: unknown) => (e as { code?: number }).code === 409);
    const now = await kube.core.readNamespacedConfigMap({ name: 'cond', namespace: ns.name });
    assert.equal(now.data?.v, 'changed by an operation', 'the stale apply changed nothing');
  });
});
