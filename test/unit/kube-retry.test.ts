// The activities' API calls ride out a briefly absent kube-apiserver: which errors are retried, and
// that a create is retried only when the server surely did not act.
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { retryTransient, transience, withTransientRetry } from '../../src/activities/kube-retry.ts';
import type { Kube } from '../../src/k8s/client.ts';

const api = (code: number) => new ApiException(code, `HTTP ${code}`, '{}', {});
const net = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6443`), { code });
const noSleep = { sleep: async () => undefined };

function failing(errors: unknown[], result = 'ok') {
  let calls = 0;
  const fn = async () => {
    calls++;
    const e = errors.shift();
    if (e) throw e;
    return result;
  };
  return { fn, calls: () => calls };
}

describe('kube-retry: activities ride out a briefly absent kube-apiserver', () => {
  it('classifies errors: 503/429/refused connection surely not processed; 500/504/reset maybe processed; 4xx not transient', () => {
    assert.deepEqual(transience(api(503)), { transient: true, surelyNotProcessed: true });
    assert.deepEqual(transience(api(429)), { transient: true, surelyNotProcessed: true });
    assert.deepEqual(transience(net('ECONNREFUSED')), { transient: true, surelyNotProcessed: true });
    assert.deepEqual(transience(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } })), { transient: true, surelyNotProcessed: true });
    assert.deepEqual(transience(api(500)), { transient: true, surelyNotProcessed: false });
    assert.deepEqual(transience(net('ECONNRESET')), { transient: true, surelyNotProcessed: false });
    for (const c of [400, 403, 404, 409, 422]) assert.equal(transience(api(c)).transient, false, `HTTP ${c}`);
    assert.equal(transience(new Error('boom')).transient, false);
  });

  it('retries a read through 503s and refused connections, heartbeating before each wait', async () => {
    const f = failing([api(503), net('ECONNREFUSED'), api(503)]);
    let beats = 0;
    assert.equal(await retryTransient(f.fn, false, { ...noSleep, onRetry: () => beats++ }), 'ok');
    assert.equal(f.calls(), 4);
    assert.equal(beats, 3);
  });

  it('a create is retried after a 503 but not after a reset connection or a 500 (it may have been created)', async () => {
    const ok = failing([api(503)]);
    assert.equal(await retryTransient(ok.fn, true, noSleep), 'ok');
    for (const e of [net('ECONNRESET'), api(500)]) {
      const f = failing([e]);
      await assert.rejects(retryTransient(f.fn, true, noSleep), (x) => x === e);
      assert.equal(f.calls(), 1);
    }
  });

  it('a permanent error is thrown at once; a transient one after the budget', async () => {
    const forbidden = failing([api(403)]);
    await assert.rejects(retryTransient(forbidden.fn, false, noSleep));
    assert.equal(forbidden.calls(), 1);
    let now = 0;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const down = failing(Array.from({ length: 100 }, () => api(503)));
      await assert.rejects(retryTransient(down.fn, false, { budgetMs: 5_000, sleep: async (ms) => void (now += ms) }), (e) => (e as ApiException<unknown>).code === 503);
      assert.ok(down.calls() > 3 && down.calls() < 10, `${down.calls()} calls within a 5 s budget`);
    } finally {
      Date.now = realNow;
    }
  });

  it('wraps the API clients: async calls retried with the method name deciding create, sync helpers passed through', async () => {
    const errors = [api(503)];
    const fake = {
      calls: 0,
      async readNamespacedPod(): Promise<string> {
        this.calls++;
        const e = errors.shift();
        if (e) throw e;
        return 'pod';
      },
      async createNamespacedPod(): Promise<string> {
        this.calls++;
        throw net('ECONNRESET');
      },
      basePath(): string {
        return 'https://127.0.0.1:6443';
      },
    };
    const kube = withTransientRetry({ kc: {}, core: fake, apps: {}, custom: {}, events: {}, objects: {} } as unknown as Kube, noSleep);
    const core = kube.core as unknown as typeof fake;
    assert.equal(await core.readNamespacedPod(), 'pod');
    assert.equal(fake.calls, 2);
    await assert.rejects(core.createNamespacedPod());
    assert.equal(fake.calls, 3);
    assert.equal(core.basePath(), 'https://127.0.0.1:6443');
  });
});
