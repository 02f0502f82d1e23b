// Requests to an API server that is away (restarting, not serving yet, throttling) wait for it in
// place, with backoff, instead of failing their caller at once. Without this, a kube-apiserver
// restart of a few seconds costs an activity one of its spec.maxRetries attempts per request that
// hits it, and a few restarts in a row fail a step that nothing was wrong with.
// Only failures in which the API server did not act on the request are retried here: no
// connection, a connection dropped, 503 (not ready, shutting down) and 429 (throttled). Any other
// answer, including every 5xx the server produced while handling the request, goes to the caller.
import * as k8s from '@kubernetes/client-node';

/** Node and undici error codes of a request that did not get an answer from the API server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CLOSED',
]);
const RETRY_STATUSES = new Set([429, 503]);

/** Pure: whether a fetch error means the API server could not be reached (walks the cause chain). */
export function isUnreachable(e: unknown): boolean {
  let cur = e as { code?: unknown; cause?: unknown; name?: string } | undefined;
  for (let i = 0; cur && i < 5; i++) {
    if (cur.name === 'AbortError') return false; // the caller gave up: not ours to retry
    if (typeof cur.code === 'string' && NETWORK_CODES.has(cur.code)) return true;
    cur = cur.cause as typeof cur;
  }
  return false;
}

/** Pure: whether an answer says the API server did not act on the request. */
export const isRetryableStatus = (status: number) => RETRY_STATUSES.has(status);

/** Pure: the wait before try `attempt` + 1 (0-based): doubling from 250 ms to maxMs, or the server's Retry-After (seconds) within it. */
export function retryDelayMs(attempt: number, retryAfter?: string, maxMs = 4000): number {
  const asked = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : undefined;
  return Math.min(asked ?? 250 * 2 ** attempt, maxMs);
}

export interface UnreachableRetry {
  /** How long one request may wait for the API server in all (ms); the caller's own bound may be shorter. */
  budgetMs: number;
  /** Waits between tries; an activity heartbeats meanwhile and throws when it is cancelled. */
  wait?: (ms: number) => Promise<void>;
  /** Told before each wait (for a log line). */
  onRetry?: (info: { method: string; path: string; attempt: number; delayMs: number; reason: string }) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The client's own fetch library, retrying what isUnreachable / isRetryableStatus say. */
export class RetryingHttpLibrary implements k8s.PromiseHttpLibrary {
  private readonly inner = new k8s.IsomorphicFetchHttpLibrary();

  constructor(private readonly o: UnreachableRetry) {}

  async send(request: k8s.RequestContext): Promise<k8s.ResponseContext> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      let failure: { answer: k8s.ResponseContext } | { error: unknown };
      let reason: string;
      let retryAfter: string | undefined;
      try {
        const answer = await this.inner.send(request).toPromise();
        if (!isRetryableStatus(answer.httpStatusCode)) return answer;
        failure = { answer };
        reason = `HTTP ${answer.httpStatusCode}`;
        retryAfter = answer.headers['retry-after'];
      } catch (e) {
        if (!isUnreachable(e)) throw e;
        failure = { error: e };
        const cause = (e as { cause?: { message?: string } }).cause?.message;
        reason = `${(e as Error).message}${cause ? `: ${cause}` : ''}`;
      }
      const delayMs = retryDelayMs(attempt, retryAfter);
      if (Date.now() + delayMs - started > this.o.budgetMs) {
        // Out of patience: the caller gets what the last try got (its own retries take over).
        if ('answer' in failure) return failure.answer;
        throw failure.error;
      }
      if ('answer' in failure) await failure.answer.body.text().catch(() => undefined); // frees the connection
      this.o.onRetry?.({ method: String(request.getHttpMethod()), path: new URL(request.getUrl()).pathname, attempt, delayMs, reason });
      await (this.o.wait ?? sleep)(delayMs);
    }
  }
}

/** A configuration for the generated API clients that sends through `httpApi` (what kc.makeApiClient builds, plus that). */
export function apiConfiguration(kc: k8s.KubeConfig, httpApi: k8s.PromiseHttpLibrary): k8s.Configuration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  return k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: k8s.wrapHttpLibrary(httpApi),
    middleware: [k8s.setHeaderMiddleware('User-Agent', 'opsflow')],
  });
}
