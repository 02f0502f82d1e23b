// The watcher's /metrics endpoint (OPSFLOW_WATCHER_METRICS_ADDRESS): on each scrape it lists the
// OpsRequests and databases (the watcher's RBAC allows list) and renders them (state-metrics.ts).
import { createServer, type Server } from 'node:http';
import { GROUP, VERSION } from '../api/common.ts';
import { kindInfo } from '../api/kinds.ts';
import type { Kube } from '../k8s/client.ts';
import type { Logger } from '../logger.ts';
import { renderStateMetrics, type StateObject } from './state-metrics.ts';

const OPS = ['PostgresOpsRequest', 'SingleStoreOpsRequest', 'ProxySQLOpsRequest'];
const DBS = ['Postgres', 'SingleStore', 'ProxySQL'];

async function listKind(kube: Kube, kind: string, namespace?: string): Promise<StateObject[]> {
  const plural = kindInfo(kind).plural;
  const res = (namespace
    ? await kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace })
    : await kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items?: StateObject[] };
  return (res.items ?? []).map((o) => ({ ...o, kind }));
}

/** Serves /metrics on host:port; resolves once listening (a port in use rejects). */
export function serveStateMetrics(o: { kube: Kube; log: Logger; address: string; namespace?: string; defaultTimeout?: string }): Promise<Server> {
  const i = o.address.lastIndexOf(':');
  const host = o.address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(o.address.slice(i + 1));
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found; try /metrics\n');
      return;
    }
    Promise.all([Promise.all(OPS.map((k) => listKind(o.kube, k, o.namespace))), Promise.all(DBS.map((k) => listKind(o.kube, k, o.namespace)))])
      .then(([ops, dbs]) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderStateMetrics(ops.flat(), dbs.flat(), Date.now(), o.defaultTimeout));
      }, (e: unknown) => {
        o.log.warn('metrics: cannot list OpsRequests and databases', { error: (e as Error).message });
        res.writeHead(503).end('cannot read the cluster\n');
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
