// The worker's Kubernetes client waits for an API server that is away: which failures count as
// "away", the backoff, and the retry loop against a real HTTP server on loopback that refuses
// connections at first, then answers 503 (not serving yet), then serves.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { activityWait, heartbeat } from '../../src/activities/heartbeat.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { isRetryableStatus, isUnreachable, retryDelayMs } from '../../src/k8s/unreachable.ts';

const fetchFailed = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }) });

describe('unreachable API server: what is retried', () => {
  const cases: Array<{ name: string; e: unknown; want: boolean }> = [
    { name: 'connection refused (API server down)', e: fetchFailed('ECONNREFUSED'), want: true },
    { name: 'connection reset (API server killed mid-request)', e: fetchFailed('ECONNRESET'), want: true },
    { name: 'undici socket closed', e: fetchFailed('UND_ERR_SOCKET'), want: true },
    { name: 'connect timeout', e: fetchFailed('UND_ERR_CONNECT_TIMEOUT'), want: true },
    { name: 'unknown host (a configuration error)', e: fetchFailed('ENOTFOUND'), want: false },
    { name: 'certificate error', e: fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT'), want: false },
    { name: 'aborted by the caller', e: Object.assign(new Error('aborted'), { name: 'AbortError', cause: { code: 'ECONNRESET' } }), want: false },
    { name: 'an answer of the API server (404)', e: new k8s.ApiException(404, 'not found', '{}', {}), want: false },
    { name: 'a plain error', e: new Error('boom'), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(isUnreachable(c.e), c.want));

  for (const [status, want] of [[503, true], [429, true], [500, false], [504, false], [409, false], [200, false]] as const) {
    it(`HTTP ${status} ${want ? 'is' : 'is not'} retried`, () => assert.equal(isRetryableStatus(status), want));
  }

  const delays: Array<{ attempt: number; retryAfter?: string; want: number }> = [
    { attempt: 0, want: 250 },
    { attempt: 2, want: 1000 },
    { attempt: 4, want: 4000 },
    { attempt: 10, want: 4000 },
    { attempt: 0, retryAfter: '2', want: 2000 },
    { attempt: 0, retryAfter: '60', want: 4000 },
    { attempt: 1, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT', want: 500 },
  ];
  for (const d of delays) it(`wait before try ${d.attempt + 2}${d.retryAfter ? ` (Retry-After ${d.retryAfter})` : ''}: ${d.want} ms`, () => assert.equal(retryDelayMs(d.attempt, d.retryAfter), d.want));
});

describe('unreachable API server: the retrying client against a real HTTP server', function () {
  this.timeout(20_000);
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  const freePort = async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  };
  const kubeAt = (port: number, budgetMs: number, retries: string[]) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
    });
    return makeKube(kc, { retryUnreachable: { budgetMs, onRetry: (i) => retries.push(i.reason) } });
  };
  /** Answers `statuses` in turn (then 200 with a Pod) and counts requests. */
  const serve = (port: number, statuses: number[]) => {
    const seen = { requests: 0 };
    server = createServer((req, res) => {
      seen.requests++;
      const status = statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '1' } : {}) });
      res.end(JSON.stringify(status === 200 ? { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pg-0', namespace: 'ns' } } : { kind: 'Status', code: status, message: `status ${status}` }));
    });
    return new Promise<typeof seen>((r) => server?.listen(port, '127.0.0.1', () => r(seen)));
  };

  it('a request waits through refused connections and 503s, then gets its answer', async () => {
    const port = await freePort();
    const retries: string[] = [];
    const kube = kubeAt(port, 30_000, retries);
    const read = kube.core.readNamespacedPod({ name: 'pg-0', namespace: 'ns' });
    await new Promise((r) => setTimeout(r, 700)); // nothing listens yet: connections are refused
    const seen = await serve(port, [503, 503]);
    const pod = await read;
    assert.equal(pod.metadata?.name, 'pg-0');
    assert.equal(seen.requests, 3);
    assert.ok(retries.some((r) => /ECONNREFUSED/.test(r)), `a refused connection was retried: ${retries.join(' | ')}`);
    assert.deepEqual(retries.filter((r) => r === 'HTTP 503'), ['HTTP 503', 'HTTP 503']);
  });

  it('an answer of the API server (404, 500) goes to the caller at once', async () => {
    const port = await freePort();
    const seen = await serve(port, [404, 500]);
    const retries: string[] = [];
    const kube = kubeAt(port, 30_000, retries);
    await assert.rejects(kube.core.readNamespacedPod({ name: 'pg-0', namespace: 'ns' }), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);
    await assert.rejects(kube.core.readNamespacedPod({ name: 'pg-0', namespace: 'ns' }), (e: unknown) => e instanceof k8s.ApiException && e.code === 500);
    assert.equal(seen.requests, 2);
    assert.deepEqual(retries, []);
  });

  it('past its budget the request fails with the last error (the caller retries from there)', async () => {
    const port = await freePort();
    const retries: string[] = [];
    const kube = kubeAt(port, 1000, retries);
    const t0 = Date.now();
    await assert.rejects(kube.core.readNamespacedPod({ name: 'pg-0', namespace: 'ns' }), (e: unknown) => isUnreachable(e));
    assert.ok(Date.now() - t0 < 3000, 'bounded by the budget');
    assert.ok(retries.length >= 2, `retried meanwhile: ${retries.length}`);
  });

  it('inside an activity the wait heartbeats with the details the activity last sent', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(async () => {
      heartbeat({ pod: 'pg-0', oldUid: 'u1' });
      await activityWait(10);
      await activityWait(10);
    });
    assert.deepEqual(beats, [{ pod: 'pg-0', oldUid: 'u1' }, { pod: 'pg-0', oldUid: 'u1' }, { pod: 'pg-0', oldUid: 'u1' }]);
  });
});
