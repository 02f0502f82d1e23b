// Validation of SingleStore and ProxySQL Restart requests (reads only): the database, its Pods in the
// engine's safe order and each Pod's UID when planned, so a retried step never restarts a Pod twice
// (a Pod whose UID differs was already replaced).
import { appliedVersion } from '../engines/declarative.ts';
import { rolloutOrder, type SingleStorePod } from '../engines/singlestore/plan.ts';
import { proxysqlMembers, proxysqlRolloutOrder } from '../engines/proxysql/plan.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { readProxySQL } from './proxysql-admin.ts';
import { readSingleStore } from './singlestore-conn.ts';

export interface SdbRestartPlan {
  database: string;
  /** Leaves, then child aggregators, the master aggregator last. */
  pods: SingleStorePod[];
  uids: Record<string, string>;
}

export interface ProxySQLRestartPlan {
  database: string;
  statefulSet: string;
  /** The version the members must report after their restart (the running one). */
  version: string;
  pods: string[];
  uids: Record<string, string>;
}

type Verdict<P> = { outcome: 'Proceed'; plan: P } | { outcome: 'Failed'; reason: string };

/** The UID of each Pod, or the reason one cannot be restarted (it does not exist). */
export async function podUidsOrProblem(kube: Kube, namespace: string, pods: string[], what: string): Promise<Record<string, string> | string> {
  const uids: Record<string, string> = {};
  for (const name of pods) {
    try {
      uids[name] = (await kube.core.readNamespacedPod({ name, namespace })).metadata?.uid ?? '';
    } catch (e) {
      if (isNotFound(e)) return `Pod ${name} of ${what} does not exist; nothing to restart`;
      throw e;
    }
  }
  return uids;
}

export function restartValidateActivities(deps: ActivityDeps) {
  const { kube } = deps;
  return {
    /** Checks a SingleStore Restart request and plans it (leaves, aggregators, the master last); changes nothing. */
    async validateSingleStoreRestart(input: OpsInput): Promise<Verdict<SdbRestartPlan>> {
      const name = input.spec.databaseRef?.name ?? '';
      const db = await readSingleStore(kube, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: `spec.databaseRef: SingleStore "${name}" not found in namespace ${input.namespace}` };
      const pods = rolloutOrder(db);
      const uids = await podUidsOrProblem(kube, input.namespace, pods.map((p) => p.pod), `SingleStore ${name}`);
      if (typeof uids === 'string') return { outcome: 'Failed', reason: uids };
      return { outcome: 'Proceed', plan: { database: name, pods, uids } };
    },

    /** Checks a ProxySQL Restart request and plans it (one member at a time, <name>-0 last); changes nothing. */
    async validateProxySQLRestart(input: OpsInput): Promise<Verdict<ProxySQLRestartPlan>> {
      const name = input.spec.proxyRef?.name ?? '';
      const db = await readProxySQL(deps, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: `spec.proxyRef: ProxySQL "${name}" not found in namespace ${input.namespace}` };
      const pods = proxysqlRolloutOrder(proxysqlMembers(db));
      const uids = await podUidsOrProblem(kube, input.namespace, pods, `ProxySQL ${name}`);
      if (typeof uids === 'string') return { outcome: 'Failed', reason: uids };
      return { outcome: 'Proceed', plan: { database: name, statefulSet: name, version: appliedVersion(db), pods, uids } };
    },
  };
}
