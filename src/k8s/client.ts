// Typed Kubernetes access: one KubeConfig (KUBECONFIG, ~/.kube/config or in-cluster) and its clients.
import * as k8s from '@kubernetes/client-node';

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

export function makeKube(kc: k8s.KubeConfig = loadKubeConfig()): Kube {
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
