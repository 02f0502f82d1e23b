// Listing the OpsRequests of one database: a field selector on the CRD's selectable reference field
// (spec.databaseRef.name, or spec.proxyRef.name for ProxySQL), so a queue check reads only that
// database's requests, however many other requests the namespace holds.
import { GROUP, VERSION } from '../api/common.ts';
import { kindInfo } from '../api/kinds.ts';
import type { Kube } from './client.ts';

export async function listRequestsOf<T>(kube: Kube, opsKind: string, db: { namespace: string; name: string }): Promise<T[]> {
  const info = kindInfo(opsKind);
  const field = info.selectableFields?.[0]?.jsonPath.replace(/^\./, '');
  const res = (await kube.custom.listNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: info.plural, namespace: db.namespace,
    ...(field ? { fieldSelector: `${field}=${db.name}` } : {}),
  })) as { items: T[] };
  return res.items;
}
