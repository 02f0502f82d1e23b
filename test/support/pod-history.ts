// Watches a database's Pods and remembers every UID each Pod name had, so a test can assert that
// each Pod was replaced exactly once (and in which order the replacements appeared).
import { makeInformer, type V1Pod } from '@kubernetes/client-node';
import { clients, kubeConfig } from './kube.ts';

export async function watchPodUids(namespace: string, labelSelector: string) {
  const seen = new Map<string, string[]>();
  const replaced: string[] = [];
  const record = (p: V1Pod) => {
    const name = p.metadata?.name ?? '';
    const uid = p.metadata?.uid ?? '';
    const list = seen.get(name) ?? [];
    if (!list.includes(uid)) {
      if (list.length > 0) replaced.push(name);
      list.push(uid);
    }
    seen.set(name, list);
  };
  const informer = makeInformer<V1Pod>(kubeConfig(), `/api/v1/namespaces/${namespace}/pods`,
    () => clients().core.listNamespacedPod({ namespace, labelSelector }), labelSelector);
  informer.on('add', record);
  informer.on('update', record);
  let stopped = false;
  informer.on('error', () => setTimeout(() => {
    if (!stopped) informer.start().catch(() => undefined);
  }, 500));
  await informer.start();
  return {
    uids: (pod: string) => [...(seen.get(pod) ?? [])],
    /** Pod names in the order their replacements (a new UID after the first seen) appeared. */
    replacements: () => [...replaced],
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}
