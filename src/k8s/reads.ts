// Small reads every engine's activities (and the provisioner) share: a Secret's decoded data, a
// database's credentials from its auth Secret (read inside activities, never passed through
// workflow history), and a Pod's IP (opsflow always connects to Pod IPs).
import type { Kube } from './client.ts';

/** A Secret's data, base64-decoded. */
export function decodeSecretData(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

export interface Credentials {
  user: string;
  password: string;
  /** password.prev: tried after an authentication failure (a RotateAuth writes the Secret before ALTER ROLE). */
  previous?: string;
}

/** username/password of an auth Secret (the user defaults to the engine's superuser). */
export async function readCredentials(kube: Kube, namespace: string, secret: string, defaultUser: string): Promise<Credentials> {
  const data = decodeSecretData((await kube.core.readNamespacedSecret({ name: secret, namespace })).data);
  const previous = data['password.prev'];
  return { user: data.username || defaultUser, password: data.password ?? '', ...(previous && previous !== data.password ? { previous } : {}) };
}

/** A running Pod's IP; a Pod being deleted has none worth connecting to. */
export async function podIp(kube: Kube, namespace: string, pod: string): Promise<string> {
  const p = await kube.core.readNamespacedPod({ name: pod, namespace });
  if (!p.status?.podIP || p.metadata?.deletionTimestamp) throw new Error(`Pod ${pod} has no IP`);
  return p.status.podIP;
}
