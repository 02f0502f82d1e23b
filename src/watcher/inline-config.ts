// The provisioner's side of KubeDB v1's spec.configuration.inline (see
// src/engines/postgres/inline-config.ts): writes the merged content-named Secret (owned by the
// database) and points spec.configuration.secretName at it, removing inline. The patch triggers the
// next reconcile, which treats it like any other config Secret reference (first provision, or a
// declarative Reconfigure of a running database).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { API_VERSION } from '../api/common.ts';
import type { Postgres } from '../api/databases.ts';
import { meta } from '../engines/common.ts';
import { USER_CONF_KEY } from '../engines/postgres/config.ts';
import { materializeInline } from '../engines/postgres/inline-config.ts';
import { mergePatch, serverSideApply } from '../k8s/apply.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { decodeSecretData } from '../k8s/reads.ts';

export type InlineOutcome = { kind: 'none' } | { kind: 'materialized'; secret: string } | { kind: 'error'; message: string };

export async function materializeInlineConfig(kube: Kube, db: Postgres): Promise<InlineOutcome> {
  if (!db.spec.configuration?.inline) return { kind: 'none' };
  const namespace = db.metadata.namespace ?? '';
  let data: Record<string, string> | undefined;
  const ref = db.spec.configuration.secretName;
  if (ref) {
    try {
      data = decodeSecretData((await kube.core.readNamespacedSecret({ name: ref, namespace })).data);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return { kind: 'error', message: `spec.configuration.secretName: Secret "${ref}" not found` };
    }
  }
  let m;
  try {
    m = materializeInline(db, data);
  } catch (e) {
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  if (!m) return { kind: 'none' };
  const base = meta(db, m.secretName);
  const body: V1Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { ...base, labels: { ...base.labels, 'opsflow.dev/custom-config': 'true' } }, type: 'Opaque', stringData: { [USER_CONF_KEY]: m.userConf } };
  await serverSideApply(kube, body);
  await mergePatch(kube, { apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: db.metadata.name, namespace }, spec: m.specPatch } as KubernetesObject);
  return { kind: 'materialized', secret: m.secretName };
}
