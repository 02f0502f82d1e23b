// The ProxySQL check after a member is rolled: it reports the target version (admin-version) and
// every member's runtime config checksums agree (ProxySQL Cluster has converged). Polls with
// heartbeats until both hold; a check that keeps failing fails the step with the last problems.
import { ApplicationFailure } from '@temporalio/activity';
import { checksumsAgree, proxysqlVersion, versionNumber } from '../engines/proxysql/probe.ts';
import type { ActivityDeps } from './deps.ts';
import { pollUntil } from './heartbeat.ts';
import { errorText, proxysqlAdmin } from './proxysql-admin.ts';

export function proxysqlSyncActivities(deps: ActivityDeps) {
  const { pollMs = 250 } = deps;
  return {
    async checkProxySQLMember(namespace: string, database: string, pod: string, targetVersion: string, maxWaitMs = 120_000): Promise<string> {
      const admin = await proxysqlAdmin(deps, namespace, database);
      let last: string[] = [];
      const deadline = Date.now() + maxWaitMs;
      // A catalog name may carry the image's flavour (KubeDB's 2.4.4-debian); the server reports x.y.z.
      const want = versionNumber(targetVersion) ?? targetVersion;
      return pollUntil(async () => {
        try {
          const v = await admin.withMember(pod, (c) => proxysqlVersion(c));
          last = v === want ? [] : [`${pod} reports version ${v}, not ${want}`];
          if (last.length === 0) last = await admin.withAll((conns) => checksumsAgree(conns));
        } catch (e) {
          last = [`cannot run the check: ${errorText(e)}`];
        }
        if (last.length === 0) return `${pod} reports ${want}; config checksums agree on ${admin.members.length} member(s)`;
        if (Date.now() > deadline) throw ApplicationFailure.retryable(`ProxySQL check failed: ${last.join('; ')}`, 'SyncCheckFailed');
        return undefined;
      }, pollMs, () => ({ problems: last }));
    },
  };
}
