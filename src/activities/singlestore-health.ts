// The SingleStore check after each rolled Pod: through the master aggregator (SHOW LEAVES / SHOW
// AGGREGATORS), every leaf online and every expected member in the cluster; on the rolled node itself,
// the version it reports (SELECT @@memsql_version). Polls with heartbeats until healthy or the step
// timeout, then fails with the last problems seen.
import { ApplicationFailure } from '@temporalio/activity';
import { clusterHealth, memsqlVersion } from '../engines/singlestore/probe.ts';
import { memberHost, rolePods } from '../engines/singlestore/plan.ts';
import { masterAggregatorPod } from '../engines/singlestore/render.ts';
import { attemptDeadline } from './deadline.ts';
import type { ActivityDeps } from './deps.ts';
import { pollUntil } from './heartbeat.ts';
import { errorText, readSingleStore, singlestoreCredentials, withNode } from './singlestore-conn.ts';

export interface SdbHealthCheck {
  /** The Pod just rolled: it must report `version` (when given). */
  pod?: string;
  version?: string;
  /** The members expected (pod names), when they differ from the spec's counts (a HorizontalScaling). */
  members?: { leaves: string[]; aggregators: string[] };
}

export function singlestoreHealthActivities({ kube, pollMs = 250 }: ActivityDeps) {
  return {
    /** Waits until the cluster is healthy (see the file comment); returns what it saw. */
    async checkSingleStoreHealth(namespace: string, database: string, check: SdbHealthCheck = {}): Promise<string> {
      const db = await readSingleStore(kube, namespace, database);
      if (!db) throw ApplicationFailure.nonRetryable(`SingleStore ${database} not found in namespace ${namespace}`, 'NotFound');
      const cred = await singlestoreCredentials(kube, db);
      const leaves = (check.members?.leaves ?? rolePods(db, 'leaf').map((p) => p.pod)).map((p) => memberHost(db, p));
      const aggregators = (check.members?.aggregators ?? rolePods(db, 'aggregator').map((p) => p.pod)).map((p) => memberHost(db, p));
      const master = masterAggregatorPod(db);
      const deadline = attemptDeadline(120_000);
      let last: string[] = ['not checked yet'];
      return pollUntil(async () => {
        try {
          const h = await withNode(kube, namespace, master, cred, (c) => clusterHealth(c, leaves, { expectedAggregators: aggregators }));
          last = [...h.problems];
          if (check.pod && check.version) {
            const v = await withNode(kube, namespace, check.pod, cred, (c) => memsqlVersion(c));
            if (v !== check.version) last.push(`${check.pod} reports version ${v}, expected ${check.version}`);
          }
        } catch (e) {
          last = [`cannot run the health check: ${errorText(e)}`];
        }
        if (last.length === 0) {
          return `${leaves.length} leaves online, ${aggregators.length} aggregator(s) in the cluster${check.pod && check.version ? `; ${check.pod} reports ${check.version}` : ''}`;
        }
        if (Date.now() > deadline) throw ApplicationFailure.nonRetryable(`SingleStore ${database} is not healthy: ${last.join('; ')}`, 'SingleStoreUnhealthy');
        return undefined;
      }, pollMs, () => ({ problems: last }));
    },
  };
}
