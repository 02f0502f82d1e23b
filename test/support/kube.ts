// Kubernetes access for tests: the local cluster's kubeconfig, typed clients, throwaway namespaces.
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';

export function kubeConfig(): k8s.KubeConfig {
  const path = process.env.KUBECONFIG;
  if (!path || !existsSync(path)) {
    throw new Error('no local cluster: KUBECONFIG is not set to an existing file. Run the tests with `npm test`, which builds and starts the local cluster (see README "Troubleshooting").');
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function clients() {
  const kc = kubeConfig();
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    ext: kc.makeApiClient(k8s.ApiextensionsV1Api),
    events: kc.makeApiClient(k8s.EventsV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
  };
}

/** Creates a namespace with a unique name; the returned function deletes it. */
export async function tempNamespace(prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const { core } = clients();
  const name = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return {
    name,
    remove: async () => {
      // OpsRequests keep a finalizer until their watcher sees them go; with the watcher stopped,
      // drop it so the namespace can terminate.
      const { custom } = clients();
      for (const plural of ['postgresopsrequests', 'singlestoreopsrequests', 'proxysqlopsrequests']) {
        const list = (await custom.listNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural, namespace: name }).catch(() => ({ items: [] }))) as { items: Array<{ metadata: { name: string } }> };
        for (const o of list.items) {
          await custom.patchNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural, namespace: name, name: o.metadata.name, body: { metadata: { finalizers: null } } },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)).catch(() => undefined);
        }
      }
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

export { eventually } from '../../devenv/process.ts';

export function isReady(pod: k8s.V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
