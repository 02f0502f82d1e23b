// All activities, built from their dependencies (workflows import only the TYPE of this factory).
import type { ActivityDeps } from './deps.ts';
import { approvalActivities } from './approval.ts';
import { databaseActivities } from './database.ts';
import { opsRequestActivities } from './opsrequest.ts';
import { podActivities } from './pods.ts';
import { postgresAuthActivities } from './postgres-auth.ts';
import { postgresConfigActivities } from './postgres-config.ts';
import { postgresSwitchoverActivities } from './postgres-switchover.ts';
import { postgresSyncActivities } from './postgres-sync.ts';
import { postgresUpgradeActivities } from './postgres-upgrade.ts';
import { proxysqlConfigActivities } from './proxysql-config.ts';
import { proxysqlSyncActivities } from './proxysql-sync.ts';
import { proxysqlValidateActivities } from './proxysql-validate.ts';
import { singlestoreConfigActivities } from './singlestore-config.ts';
import { singlestoreHealthActivities } from './singlestore-health.ts';
import { singlestoreValidateActivities } from './singlestore-validate.ts';
import { validateActivities } from './validate.ts';
import { horizontalScalingActivities } from './horizontal-scaling.ts';
import { volumeExpansionActivities } from './volume-expansion.ts';
import { restartValidateActivities } from './restart-validate.ts';
import { verticalScalingActivities } from './vertical-scaling.ts';
import { activitySleep, attemptTimeLeftMs, heartbeat } from './heartbeat.ts';
import { RETRY_BUDGET_MS, withTransientRetry } from './kube-retry.ts';

export function createActivities(given: ActivityDeps) {
  // Every activity's API calls wait for an absent kube-apiserver until the attempt's deadline (kube-retry.ts).
  const deps: ActivityDeps = {
    ...given,
    kube: withTransientRetry(given.kube, { onRetry: () => heartbeat(), sleep: activitySleep, budgetMs: () => attemptTimeLeftMs(RETRY_BUDGET_MS) }),
  };
  return {
    ...validateActivities(deps),
    ...databaseActivities(deps),
    ...podActivities(deps),
    ...postgresSyncActivities(deps),
    ...postgresUpgradeActivities(deps),
    ...postgresSwitchoverActivities(deps),
    ...postgresConfigActivities(deps),
    ...postgresAuthActivities(deps),
    ...singlestoreValidateActivities(deps),
    ...singlestoreHealthActivities(deps),
    ...singlestoreConfigActivities(deps),
    ...opsRequestActivities(deps),
    ...approvalActivities(deps),
    ...proxysqlValidateActivities(deps),
    ...proxysqlSyncActivities(deps),
    ...proxysqlConfigActivities(deps),
    ...horizontalScalingActivities(deps),
    ...volumeExpansionActivities(deps),
    ...restartValidateActivities(deps),
    ...verticalScalingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.ts';
