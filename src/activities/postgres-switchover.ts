// The Postgres switchover (DESIGN.md §7): the primary role moves from one member to an in-sync
// standby with writes stopped only between the old primary's clean stop and the promotion.
//
//   1. check: the target streams from the old primary, replay lag under the threshold;
//   2. CHECKPOINT on the old primary (its shutdown checkpoint is then short);
//   3. the decision, recorded before anything stops: status.primary = target, then the role label
//      moved (old → standby first, then target → primary; the primary Service follows the label);
//   4. standby.signal + opsflow-demoted written into the old primary's data directory (COPY … TO,
//      as the server), a second CHECKPOINT, then its Pod deleted (UID precondition): a fast shutdown, which ends only
//      once the standbys have flushed its shutdown checkpoint; its replacement can only start as a
//      standby (rewound if its timeline diverged, see bootstrap.sh);
//   5. once the old primary's process is gone (its Pod object is, which the kubelet removes only
//      after the containers stopped) and the target has replayed all it received: pg_promote().
//      Writes are stopped from 4 to 5, so that stretch polls every 20 ms (10 ms for the promotion)
//      over one connection to the target held from before the stop;
//   6. repoint the other running standbys (primary_conninfo by ALTER SYSTEM, then a reload).
//
// Idempotent and crash-safe: every attempt starts from what the cluster says (status.primary, the
// members' pg_is_in_recovery(), the old primary's Pod). The one rule that keeps a single primary:
// the target is promoted only when the old primary is known not to run as a primary (its Pod of
// this attempt is gone after the demotion markers were written, or it answers in recovery) and no
// other member answers as a primary.
import { ApplicationFailure } from '@temporalio/activity';
import pg from 'pg';
import { PostgresSchema, type Postgres } from '../api/databases.ts';
import { ROLE_LABEL } from '../engines/common.ts';
import { repointConninfo } from '../engines/postgres/conninfo.ts';
import { podNames, primaryPodName } from '../engines/postgres/render.ts';
import { isNotFound } from '../k8s/client.ts';
import { getCustom, updateStatus } from '../k8s/resources.ts';
import type { ActivityDeps } from './deps.ts';
import { failpoint } from './failpoints.ts';
import { heartbeat, impossible, pollUntil } from './heartbeat.ts';
import { labelPod } from './pods.ts';
import { postgresClientConfig, postgresCredentials, withPostgres } from './postgres-sync.ts';

export interface SwitchoverResult {
  primary: string;
  /** False when an earlier attempt had already finished the switchover. */
  switched: boolean;
  /** From the old primary's stop (its Pod deleted) to the target's promotion, ms (this attempt). */
  writeStopMs?: number;
  /** Where writeStopMs went (ms after the stop): the old Pod gone, the target's replay checked, promoted. */
  stopPhasesMs?: { gone: number; replayed: number; promoted: number };
  repointed: string[];
}

type Role = 'primary' | 'standby' | 'unreachable';

export function postgresSwitchoverActivities(deps: ActivityDeps) {
  const { kube, config, log, pollMs = 100 } = deps;

  return {
    /** Moves the primary role from `from` to `to` (see the top of this file); safe to retry at any point. */
    async switchoverPostgres(namespace: string, database: string, from: string, to: string): Promise<SwitchoverResult> {
      const ref = { kind: 'Postgres' as const, namespace, name: database };
      const readDb = async (): Promise<Postgres> => PostgresSchema.parse(await getCustom(kube, ref));
      let db = await readDb();
      const members = podNames(db);
      for (const [field, pod] of [['from', from], ['to', to]] as const) {
        if (!members.includes(pod)) throw impossible(`switchover ${field} ${pod}: not a member of Postgres ${database} (${members.join(', ')})`);
      }
      if (from === to) throw impossible(`switchover from ${from} to itself`);
      const cred = await postgresCredentials(deps, namespace, database);
      const readPod = async (name: string) => {
        try {
          return await kube.core.readNamespacedPod({ name, namespace });
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      };
      const sql = async <T extends pg.QueryResultRow>(pod: string, text: string, params: unknown[] = []): Promise<T[]> => {
        const p = await readPod(pod);
        if (!p?.status?.podIP || p.metadata?.deletionTimestamp) throw new Error(`Pod ${pod} has no IP`);
        return withPostgres(p.status.podIP, cred, async (c) => (await c.query<T>(text, params)).rows);
      };
      const role = async (pod: string): Promise<Role> => {
        try {
          const [r] = await sql<{ r: boolean }>(pod, 'SELECT pg_is_in_recovery() AS r');
          return r?.r ? 'standby' : 'primary';
        } catch {
          return 'unreachable';
        }
      };
      let last = '';
      const wait = <T>(what: string, check: () => Promise<T | undefined>, intervalMs = pollMs) => pollUntil(async () => {
        last = what;
        return check();
      }, intervalMs, () => ({ waiting: last }));
      // Writes are stopped from the old primary's stop to the promotion: poll faster then, and talk to
      // the target over one connection held for the whole attempt (a new connection costs an API read
      // of its Pod and an authentication each time).
      const stoppedPollMs = Math.min(pollMs, 20);
      let held: pg.Client | undefined;
      const onTarget = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> => {
        try {
          if (!held) {
            const p = await readPod(to);
            if (!p?.status?.podIP || p.metadata?.deletionTimestamp) throw new Error(`Pod ${to} has no IP`);
            const c = new pg.Client(postgresClientConfig(p.status.podIP, cred));
            c.on('error', () => undefined); // a dropped connection fails the next query, which reopens it
            await c.connect();
            held = c;
          }
          return (await held.query<T>(text, params)).rows;
        } catch (e) {
          await held?.end().catch(() => undefined);
          held = undefined;
          throw e;
        }
      };
      const targetRole = async (): Promise<Role> => {
        try {
          const [r] = await onTarget<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
          return r?.r ? 'standby' : 'primary';
        } catch {
          return 'unreachable';
        }
      };

      try {
        // The role label: old → standby first, then target → primary (never two labelled primary). The
        // primary Service follows it, and so does a member that starts from now on (the old primary's
        // replacement follows the target, even before the promotion: cascading, then the new timeline).
        const moveLabels = async () => {
          await labelPod(kube, namespace, from, { [ROLE_LABEL]: 'standby' });
          await labelPod(kube, namespace, to, { [ROLE_LABEL]: 'primary' });
        };

        // 1–3: up to the decision (skipped when an earlier attempt made it).
        if (primaryPodName(db) !== to) {
          if (primaryPodName(db) !== from) throw impossible(`switchover ${from} → ${to}: the primary of ${database} is ${primaryPodName(db)} now`);
          if ((await role(from)) === 'primary') {
            await wait(`${to} streaming from ${from} with replay lag under ${config.sync.maxLagBytes} bytes`, async () => {
              const rows = await sql<{ state: string; lag: number | null }>(from,
                'SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS lag FROM pg_stat_replication WHERE application_name = $1', [to]).catch(() => []);
              return rows.some((r) => r.state === 'streaming' && r.lag !== null && r.lag <= config.sync.maxLagBytes) ? true : undefined;
            });
            failpoint('switchover-before-checkpoint');
            await sql(from, 'CHECKPOINT');
            failpoint('switchover-checkpointed');
          }
          if ((await role(to)) !== 'standby') throw ApplicationFailure.retryable(`switchover target ${to} does not answer as a standby`, 'SwitchoverTargetNotReady');
          await updateStatus<{ status?: Postgres['status'] }, NonNullable<Postgres['status']>>(kube, ref, (cur) => ({ ...cur.status, primary: to }));
          db = await readDb();
          failpoint('switchover-decided');
        }
        await moveLabels(); // with the decision, and again: an attempt may have died in between

        // 4–5: demote and stop the old primary, then promote.
        let writeStopMs: number | undefined;
        let stopPhasesMs: SwitchoverResult['stopPhasesMs'];
        let switched = false;
        if ((await targetRole()) !== 'primary') {
          switched = true;
          let stopLsn: string | undefined;
          let stoppedAt: number | undefined;
          let goneAt: number | undefined;
          // No other member may answer as a primary: asked of all at once, while the old one stops.
          const others = members.filter((p) => p !== to && p !== from);
          const checkOthers = async () => {
            const roles = await Promise.all(others.map(async (m) => [m, await role(m)] as const));
            for (const [m, r] of roles) {
              if (r === 'primary') throw impossible(`switchover ${from} → ${to}: ${m} answers as a primary; not promoting ${to} (two primaries)`);
            }
          };
          let othersChecked = false;
          for (;;) {
            const r = await role(from);
            if (r === 'standby') break;
            if (r === 'primary' && stoppedAt !== undefined) throw impossible(`${from} came back as a primary although its data directory has standby.signal; not promoting ${to}`);
            if (r === 'unreachable') {
              // Stopped or starting: whether it comes back as a primary is not known until it answers
              // (unless this attempt stopped it after writing the markers, just below).
              if (stoppedAt !== undefined) break;
              await wait(`${from} to answer (as a standby)`, async () => ((await role(from)) !== 'unreachable' ? true : undefined));
              continue;
            }
            // Still the primary: demote (markers), note its last LSN, stop it.
            const pod = await readPod(from);
            const uid = pod?.metadata?.uid;
            await sql(from, `DO $$ BEGIN
              EXECUTE format('COPY (SELECT 1 WHERE false) TO %L', current_setting('data_directory') || '/standby.signal');
              EXECUTE format('COPY (SELECT 1 WHERE false) TO %L', current_setting('data_directory') || '/opsflow-demoted');
            END $$`);
            failpoint('switchover-demoted');
            // Again just before the stop, so its shutdown checkpoint has next to nothing to write.
            await sql(from, 'CHECKPOINT');
            stopLsn = (await sql<{ lsn: string }>(from, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]?.lsn;
            await targetRole(); // the connection to the target, opened before writes stop
            stoppedAt = Date.now();
            try {
              await kube.core.deleteNamespacedPod({ name: from, namespace, body: { preconditions: { uid } } });
            } catch (e) {
              if (!isNotFound(e) && !(e as { code?: number }).code?.toString().startsWith('409')) throw e;
            }
            heartbeat({ stopping: from, uid });
            failpoint('switchover-stopping');
            await Promise.all([
              wait(`${from} (Pod ${uid}) to stop`, async () => ((await readPod(from))?.metadata?.uid !== uid ? true : undefined), stoppedPollMs),
              checkOthers(),
            ]);
            othersChecked = true;
            goneAt = Date.now();
            break; // its Pod of this attempt is gone, after the markers: it cannot return as a primary
          }
          if (!othersChecked) await checkOthers();
          let replayedAt: number | undefined;
          // The target must answer before anything is decided about it: one that is restarting
          // (e.g. the local runtime hands it a new address) is neither promoted nor passed over.
          const targetNow = await wait(`${to} to answer`, async () => {
            const r = await targetRole();
            return r === 'unreachable' ? undefined : r;
          }, stoppedPollMs);
          if (targetNow === 'standby') {
            // Everything the old primary wrote (up to its shutdown checkpoint) received and replayed.
            await wait(`${to} to replay the old primary's last WAL`, async () => {
              const [x] = await onTarget<{ done: boolean }>(`SELECT COALESCE(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), true)
                AND ($1::pg_lsn IS NULL OR GREATEST(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) > $1::pg_lsn) AS done`, [stopLsn ?? null]).catch(() => []);
              return x?.done ? true : undefined;
            }, stoppedPollMs);
            replayedAt = Date.now();
            // pg_promote(false) and our own poll: its built-in wait looks every 100 ms only. A target
            // that restarted meanwhile (a new connection finds it a standby again) lost the request:
            // it is asked again.
            let promotedOn: pg.Client | undefined;
            const promote = async () => {
              await onTarget('SELECT pg_promote(false)').catch(async (e: unknown) => {
                // Promoted meanwhile by a concurrent attempt: pg_promote refuses on a primary.
                if ((await targetRole()) !== 'primary') throw e;
              });
              promotedOn = held;
            };
            await promote();
            const promoteBy = Date.now() + 60_000;
            await wait(`${to} to finish its promotion`, async () => {
              const r = await targetRole();
              if (r === 'primary') return true;
              if (Date.now() > promoteBy) throw ApplicationFailure.retryable(`pg_promote() on ${to} did not finish within 60 s`, 'PromoteTimeout');
              if (r === 'standby' && held !== promotedOn) await promote().catch(() => undefined);
              return undefined;
            }, 10);
          }
          if (stoppedAt !== undefined) {
            const promotedAt = Date.now();
            writeStopMs = promotedAt - stoppedAt;
            stopPhasesMs = { gone: (goneAt ?? promotedAt) - stoppedAt, replayed: (replayedAt ?? promotedAt) - stoppedAt, promoted: writeStopMs };
            log.info('switchover: writes stopped', { database: `${namespace}/${database}`, from, to, ...stopPhasesMs });
          }
          failpoint('switchover-promoted');
        }

        // 6: every running standby follows the new primary. One that does not answer (the old primary
        // starting again) follows the primary Service when it starts; the RestartPod step of the old
        // primary waits for it and checks that it streams.
        const toIp = (await readPod(to))?.status?.podIP ?? '';
        const repointed: string[] = [];
        for (const m of members.filter((p) => p !== to)) {
          if ((await role(m)) !== 'standby') continue;
          const [cur] = await sql<{ c: string }>(m, "SELECT current_setting('primary_conninfo') AS c");
          const next = repointConninfo(cur?.c ?? '', toIp);
          if (!next.changed) continue;
          await sql(m, `ALTER SYSTEM SET primary_conninfo = ${escapeLiteral(next.conninfo)}`);
          await sql(m, 'SELECT pg_reload_conf()');
          repointed.push(m);
        }
        failpoint('switchover-repointed');
        return { primary: to, switched, ...(writeStopMs !== undefined ? { writeStopMs, stopPhasesMs } : {}), repointed };
      } finally {
        await held?.end().catch(() => undefined);
      }
    },
  };
}

/** A SQL string literal (ALTER SYSTEM takes no parameters); E'' form when there is a backslash. */
export function escapeLiteral(v: string): string {
  const q = `'${v.replace(/'/g, "''")}'`;
  return v.includes('\\') ? `E${q.replace(/\\/g, '\\\\')}` : q;
}
