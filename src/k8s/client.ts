// Typed Kubernetes access: one KubeConfig (KUBECONFIG, ~/.kube/config or in-cluster) and its clients.
import * as k8s from '@kubernetes/client-node';
import { apiConfiguration, RetryingHttpLibrary, type UnreachableRetry } from './unreachable.ts';

export interface Kube {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  custom: k8s.CustomObjectsApi;
  events: k8s.EventsV1Api;
  objects: k8s.KubernetesObjectApi;
}

export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: set KUBECONFIG (for the local cluster: `npm run infra:up` prints it)');
  }
  return kc;
}

export interface KubeOptions {
  /** Requests wait for an API server that is away instead of failing at once (the worker's activities). */
  retryUnreachable?: UnreachableRetry;
}

/** KubernetesObjectApi built from a configuration (its default namespace is set from the context, as makeApiClient does). */
class ObjectApi extends k8s.KubernetesObjectApi {
  static make(kc: k8s.KubeConfig, config: k8s.Configuration): k8s.KubernetesObjectApi {
    const api = new ObjectApi(config);
    api.setDefaultNamespace(kc);
    return api;
  }
}

export function makeKube(kc: k8s.KubeConfig = loadKubeConfig(), o: KubeOptions = {}): Kube {
  if (o.retryUnreachable) {
    const config = apiConfiguration(kc, new RetryingHttpLibrary(o.retryUnreachable));
    return {
      kc,
      core: new k8s.CoreV1Api(config),
      apps: new k8s.AppsV1Api(config),
      custom: new k8s.CustomObjectsApi(config),
      events: new k8s.EventsV1Api(config),
      objects: ObjectApi.make(kc, config),
    };
  }
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    events: kc.makeApiClient(k8s.EventsV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
  };
}

export function isApiError(e: unknown, code?: number): e is k8s.ApiException<unknown> {
  return e instanceof k8s.ApiException && (code === undefined || e.code === code);
}

export const isNotFound = (e: unknown) => isApiError(e, 404);

/** A refusal no retry can change (a 4xx other than conflict, timeout or throttling). */
export const isPermanentApiError = (e: unknown): boolean => isApiError(e) && e.code >= 400 && e.code < 500 && ![408, 409, 429].includes(e.code);
export const isConflict = (e: unknown) => isApiError(e, 409);

/** The API server's own message from an error body, for status messages and logs. */
export function apiErrorMessage(e: unknown): string {
  if (e instanceof k8s.ApiException) {
    const body = typeof e.body === 'string' ? safeParse(e.body) : e.body;
    const msg = (body as { message?: string } | undefined)?.message;
    return msg ?? `HTTP ${e.code}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { message: s };
  }
}
