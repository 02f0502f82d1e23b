// The activities' Kubernetes clients ride out a kube-apiserver that is away (restarting, "the
// request has been made before all known HTTP paths have been installed", throttling, an outage):
// each call is retried in place with backoff, heartbeating meanwhile, until the attempt's own
// deadline (startToCloseTimeout; RETRY_BUDGET_MS outside an activity), before the error reaches
// Temporal's own retry policy. So an outage delays a step instead of spending its attempts. Without it an apiserver restart during Validate used up
// spec.maxRetries and failed a request that nothing was wrong with. Calls that create an object are
// retried only when the server surely did not act (refused connection, 429, 503), so a lost answer
// never creates twice; everything else opsflow calls is idempotent.
import * as k8s from '@kubernetes/client-node';
import type { Kube } from '../k8s/client.ts';

export const RETRY_BUDGET_MS = 30_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 2_000;

const NOT_PROCESSED = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT']);
const MAYBE_PROCESSED = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

function networkCode(e: unknown): string | undefined {
  const x = e as { code?: unknown; cause?: { code?: unknown }; errno?: unknown } | undefined;
  for (const c of [x?.code, x?.cause?.code, x?.errno]) if (typeof c === 'string') return c;
  return undefined;
}

/** Whether another try may succeed, and whether the server may have acted on the failed one. */
export function transience(e: unknown): { transient: boolean; surelyNotProcessed: boolean } {
  if (e instanceof k8s.ApiException) {
    const code = e.code;
    if (code === 429 || code === 503) return { transient: true, surelyNotProcessed: true };
    return { transient: code === 408 || code === 500 || code === 502 || code === 504, surelyNotProcessed: false };
  }
  const code = networkCode(e);
  if (code && NOT_PROCESSED.has(code)) return { transient: true, surelyNotProcessed: true };
  if (code && MAYBE_PROCESSED.has(code)) return { transient: true, surelyNotProcessed: false };
  return { transient: false, surelyNotProcessed: false };
}

export interface RetryHooks {
  /** Called before each wait (an activity heartbeats here). */
  onRetry?: (error: unknown, attempt: number) => void;
  /** Waits; an activity's sleep throws when the activity is cancelled, ending the retries. */
  sleep?: (ms: number) => Promise<void>;
  /** How long a call may keep retrying, from its first try (ms); asked at each call. */
  budgetMs?: number | (() => number);
}

export async function retryTransient<T>(call: () => Promise<T>, creates: boolean, hooks: RetryHooks = {}): Promise<T> {
  const budget = (typeof hooks.budgetMs === 'function' ? hooks.budgetMs() : hooks.budgetMs) ?? RETRY_BUDGET_MS;
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const t = transience(e);
      const retryable = t.transient && (!creates || t.surelyNotProcessed);
      if (!retryable || Date.now() - started + delay > budget) throw e;
      hooks.onRetry?.(e, attempt);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}

function retrying<T extends object>(api: T, hooks: RetryHooks): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const creates = typeof prop === 'string' && prop.startsWith('create');
      return (...args: unknown[]) => {
        const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
        const first = call();
        // A synchronous helper of the API class is passed through as it is.
        if (!(first instanceof Promise)) return first;
        let tried = false;
        return retryTransient(() => (tried ? (call() as Promise<unknown>) : ((tried = true), first)), creates, hooks);
      };
    },
  });
}

/** The same clients, each call retried through a short API-server outage. */
export function withTransientRetry(kube: Kube, hooks: RetryHooks = {}): Kube {
  return {
    kc: kube.kc,
    core: retrying(kube.core, hooks),
    apps: retrying(kube.apps, hooks),
    custom: retrying(kube.custom, hooks),
    events: retrying(kube.events, hooks),
    objects: retrying(kube.objects, hooks),
  };
}
