// The Postgres sync check: real SQL against the members, with credentials read from the auth
// Secret inside the activity (never passed through workflow history).
import pg from 'pg';
import { ApplicationFailure } from '@temporalio/activity';
import { PostgresSchema } from '../api/databases.ts';
import { authSecretName } from '../engines/common.ts';
import { PG_PORT, podNames, primaryPodName } from '../engines/postgres/render.ts';
import { syncProblems, type ReplicationRow, type SyncFacts } from '../engines/postgres/sync.ts';
import { podIp, readCredentials, type Credentials } from '../k8s/reads.ts';
import { getCustom } from '../k8s/resources.ts';
import type { ActivityDeps } from './deps.ts';
import { pollUntil } from './heartbeat.ts';

export type { Credentials };

export async function postgresCredentials(deps: ActivityDeps, namespace: string, database: string): Promise<Credentials> {
  const db = PostgresSchema.parse(await getCustom(deps.kube, { kind: 'Postgres', namespace, name: database }));
  return readCredentials(deps.kube, namespace, authSecretName(db), 'postgres');
}

/** How activities connect to a member: its Pod IP, the database's own credentials, bounded waits. */
export function postgresClientConfig(host: string, cred: Credentials): pg.ClientConfig {
  return { host, port: PG_PORT, user: cred.user, password: cred.password, database: 'postgres', connectionTimeoutMillis: 5_000, statement_timeout: 10_000 };
}

/** A connected client: the Secret's password, then (on an authentication failure, 28P01) password.prev. */
export async function connectPostgres(host: string, cred: Credentials): Promise<pg.Client> {
  const client = new pg.Client(postgresClientConfig(host, cred));
  // A server that goes away between queries (a switchover's fast shutdown ends its sessions) emits
  // 'error' on the client; unhandled, that would end the worker. The query's own promise reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (e) {
    if (!cred.previous || (e as { code?: string }).code !== '28P01') throw e;
    const retry = new pg.Client(postgresClientConfig(host, { user: cred.user, password: cred.previous }));
    retry.on('error', () => undefined);
    await retry.connect();
    return retry;
  }
}

export async function withPostgres<T>(host: string, cred: Credentials, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectPostgres(host, cred);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface Member {
  name: string;
  host: string;
}

/** Reads replication state and lag from the primary and database sizes from every member. */
export async function gatherSyncFacts(primary: Member, standbys: Member[], cred: Credentials): Promise<SyncFacts> {
  const replication = await withPostgres(primary.host, cred, async (c) => (await c.query<ReplicationRow>(
    'SELECT application_name, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag_bytes FROM pg_stat_replication',
  )).rows);
  const sizes: Record<string, number> = {};
  for (const m of [primary, ...standbys]) {
    sizes[m.name] = await withPostgres(m.host, cred, async (c) => Number((await c.query<{ s: string }>('SELECT sum(pg_database_size(datname))::text AS s FROM pg_database')).rows[0]?.s ?? 0));
  }
  return { primary: primary.name, standbys: standbys.map((s) => s.name), replication, sizes };
}

export function postgresSyncActivities(deps: ActivityDeps) {
  const { kube, config, pollMs = 250 } = deps;
  return {
    /**
     * Waits (within the step timeout) until every standby streams from the primary with replay lag
     * under the threshold and database sizes agree; the last problems seen are the failure message.
     */
    async checkPostgresSync(namespace: string, database: string, maxWaitMs = 120_000, onlyStandbys?: string[]): Promise<string> {
      const db = PostgresSchema.parse(await getCustom(kube, { kind: 'Postgres', namespace, name: database }));
      const cred = await postgresCredentials(deps, namespace, database);
      const primary = primaryPodName(db);
      const standbys = onlyStandbys ?? podNames(db).filter((p) => p !== primary);
      let last: string[] = [];
      const deadline = Date.now() + maxWaitMs;
      return pollUntil(async () => {
        try {
          const member = async (name: string) => ({ name, host: await podIp(kube, namespace, name) });
          const facts = await gatherSyncFacts(await member(primary), await Promise.all(standbys.map(member)), cred);
          last = syncProblems(facts, config.sync.maxLagBytes, config.sync.sizeTolerance);
        } catch (e) {
          last = [`cannot run the sync check: ${e instanceof Error ? e.message : String(e)}`];
        }
        if (last.length === 0) return `${standbys.length} standby(s) streaming from ${primary}, lag under ${config.sync.maxLagBytes} bytes`;
        // Give a fresh replacement time to connect; a check that keeps failing fails the step.
        if (Date.now() > deadline) throw ApplicationFailure.retryable(`sync check failed: ${last.join('; ')}`, 'SyncCheckFailed');
        return undefined;
      }, pollMs, () => ({ problems: last }));
    },
  };
}
