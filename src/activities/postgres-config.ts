// Postgres Reconfigure activities: validate the new config against the server's own parameter
// catalog (pg_settings) before anything changes, persist it (a content-named Secret the database's
// spec.configSecret points to, and the rendered config Secret the Pods mount), and apply it: a
// reload on every member, checked by reading every parameter back.
import { primaryUpdateProblem } from './validate.ts';
import { ApplicationFailure } from '@temporalio/activity';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { API_VERSION } from '../api/common.ts';
import { PostgresSchema, type Postgres } from '../api/databases.ts';
import type { ConfigurationSpec } from '../api/opsrequests.ts';
import { configSecret, meta } from '../engines/common.ts';
import { defaultParams, mergeParams, renderConf, USER_CONF_KEY } from '../engines/postgres/config.ts';
import { rolloutOrder } from '../engines/postgres/plan.ts';
import { planUserConfig, type ConfigSources } from '../engines/postgres/reconfigure.ts';
import { configRefPatch, userConfigSecretName } from '../engines/postgres/inline-config.ts';
import { CONFIG_FILE, desiredParams, podNames, primaryPodName } from '../engines/postgres/render.ts';
import { changedParams, loweredStandbyLimits, needsRestart, paramProblems, settingMatches, type PgSetting } from '../engines/postgres/settings.ts';
import { mergePatch, serverSideApply } from '../k8s/apply.ts';
import { recordApplied, withConfigSecret } from '../k8s/applied-state.ts';
import { appliedConfigSecret } from '../engines/declarative.ts';
import { isNotFound } from '../k8s/client.ts';
import { decodeSecretData, podIp } from '../k8s/reads.ts';
import { getCustom } from '../k8s/resources.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { pollUntil } from './heartbeat.ts';
import { OPS_FIELD_MANAGER } from './pods.ts';
import { postgresCredentials, withPostgres, type Credentials } from './postgres-sync.ts';

export interface ReconfigurePlan {
  database: string;
  statefulSet: string;
  /** Restart: roll every Pod (in `pods` order); Reload: pg_reload_conf on every member. */
  action: 'Restart' | 'Reload';
  /** Why, in words (for the step message). */
  reason: string;
  changed: Array<{ name: string; from?: string; to?: string }>;
  /** Parameters that change only at a restart, left pending because restart is false. */
  pending: string[];
  /** The new custom config (postgresql.conf lines; configuration is not secret). */
  userConf: string;
  /** The Secret that will hold it (named by its content), or null when the custom config is removed. */
  userSecret: string | null;
  /** Parameter → the value every member must report afterwards. */
  expected: Record<string, string>;
  /** The primary restarts first (a standby limit is lowered); standbys then need a fresh restartpoint. */
  primaryFirst: boolean;
  /** The primary when planned (absent in plans of runs started before it was recorded: the last Pod). */
  primary?: string;
  pods: string[];
  uids: Record<string, string>;
}

export type ReconfigureValidation = { outcome: 'Proceed'; plan: ReconfigurePlan } | { outcome: 'Failed'; reason: string };

const SETTINGS_SQL = 'SELECT name, vartype, context, unit, min_val, max_val, enumvals, setting, boot_val FROM pg_settings';
type SettingRow = PgSetting & { boot_val: string | null };

async function readSettings(host: string, cred: Credentials): Promise<Map<string, SettingRow>> {
  const rows = await withPostgres(host, cred, async (c) => (await c.query<SettingRow>(SETTINGS_SQL)).rows);
  return new Map(rows.map((r) => [r.name, r]));
}

export { userConfigSecretName };

export function postgresConfigActivities(deps: ActivityDeps) {
  const { kube, pollMs = 250 } = deps;
  const readSecret = async (namespace: string, name: string) => {
    try {
      return decodeSecretData((await kube.core.readNamespacedSecret({ name, namespace })).data);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const readDb = async (namespace: string, name: string) => PostgresSchema.parse(await getCustom(kube, { kind: 'Postgres', namespace, name }));

  return {
    /** Checks a Postgres Reconfigure request against the primary's pg_settings and plans it; changes nothing. */
    async validatePostgresReconfigure(input: OpsInput): Promise<ReconfigureValidation> {
      const ns = input.namespace;
      const dbName = input.spec.databaseRef?.name ?? '';
      const spec = input.spec.configuration as ConfigurationSpec | undefined;
      if (!spec) return { outcome: 'Failed', reason: 'spec.configuration is required when spec.type is Reconfigure' };
      let db: Postgres;
      try {
        db = await readDb(ns, dbName);
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'Failed', reason: `spec.databaseRef: Postgres "${dbName}" not found in namespace ${ns}` };
        throw e;
      }
      const sources: ConfigSources = {};
      // The running custom config (status.applied): spec.configSecret may already name the new one.
      const running = appliedConfigSecret(db, 'spec.configSecret');
      if (running) {
        const data = await readSecret(ns, running);
        if (data) sources.current = { secret: running, data };
      }
      if (spec.configSecret) {
        const data = await readSecret(ns, spec.configSecret.name);
        if (data) sources.requested = { secret: spec.configSecret.name, data };
      }
      const planned = planUserConfig(spec, sources);
      if (!planned.ok) return { outcome: 'Failed', reason: planned.problems.join('; ') };
      const refused = primaryUpdateProblem(db, input);
      if (refused) return { outcome: 'Failed', reason: refused };

      const primary = primaryPodName(db);
      let catalog: Map<string, SettingRow>;
      try {
        catalog = await readSettings(await podIp(kube, ns, primary), await postgresCredentials(deps, ns, dbName));
      } catch (e) {
        // Not a verdict on the request: retried (the primary may be restarting).
        throw new Error(`cannot read pg_settings from ${primary} to validate the config: ${e instanceof Error ? e.message : String(e)}`);
      }
      const problems = paramProblems(planned.params, catalog, (n) => planned.origin[n] ?? 'spec.configuration');
      if (problems.length) return { outcome: 'Failed', reason: problems.join('; ') };

      // What runs now, for the diff only; a current config that today's parser or policy refuses
      // (written before they existed) counts as defaults, so every parameter counts as changed.
      let before: Record<string, string>;
      try {
        before = desiredParams(sources.current?.data, sources.current?.secret);
      } catch {
        before = { ...defaultParams };
      }
      const after = mergeParams(defaultParams, planned.params);
      const changed = changedParams(before, after);
      const restartFor = needsRestart(changed, catalog);
      const policy = spec.restart ?? 'auto';
      const action = policy === 'true' || (policy === 'auto' && restartFor.length > 0) ? 'Restart' : 'Reload';
      const reason = policy === 'true' ? 'restart: true'
        : policy === 'false' ? `restart: false${restartFor.length ? ` (${restartFor.join(', ')} stay pending until the next restart)` : ''}`
          : restartFor.length ? `restart: auto, and ${restartFor.join(', ')} can only change at a restart` : 'restart: auto, and every change takes effect on a reload';
      const pending = action === 'Reload' ? restartFor : [];
      const expected: Record<string, string> = {};
      for (const [name, value] of Object.entries(after)) {
        if (!pending.includes(name) && catalog.has(name)) expected[name] = value;
      }
      for (const name of changed) {
        const row = catalog.get(name);
        // Removed from the config: back to the server's built-in default.
        if (!(name in after) && !pending.includes(name) && row?.boot_val != null) expected[name] = row.boot_val;
      }
      // Standbys first, the primary last; but the primary first when a standby limit is lowered.
      const lowered = action === 'Restart' ? loweredStandbyLimits(before, after, catalog) : [];
      const pods = rolloutOrder(podNames(db), primary, lowered.length > 0);
      const uids: Record<string, string> = {};
      for (const p of pods) uids[p] = (await kube.core.readNamespacedPod({ name: p, namespace: ns })).metadata?.uid ?? '';
      const userConf = renderConf(planned.params);
      const empty = Object.keys(planned.params).length === 0;
      return {
        outcome: 'Proceed',
        plan: {
          database: dbName, statefulSet: dbName, action, pending, primaryFirst: lowered.length > 0, primary,
          reason: lowered.length ? `${reason}; the primary first, since ${lowered.join(', ')} decrease(s)` : reason, userConf, expected, pods, uids,
          changed: changed.map((name) => ({ name, from: before[name], to: after[name] })),
          userSecret: empty ? null : userConfigSecretName(dbName, userConf),
        },
      };
    },

    /**
     * Persists the new config (idempotent): the content-named custom-config Secret (owned by the
     * database), spec.configSecret pointing at it, and the rendered config Secret the Pods mount,
     * exactly as the provisioner renders it, so nothing changes when the provisioner resumes.
     */
    async writePostgresConfig(namespace: string, database: string, userConf: string, userSecret: string | null): Promise<string> {
      const db = await readDb(namespace, database);
      if (userSecret) {
        const body: V1Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { ...meta(db, userSecret), labels: { ...meta(db, userSecret).labels, 'opsflow.dev/custom-config': 'true' } }, type: 'Opaque', stringData: { [USER_CONF_KEY]: userConf } };
        await serverSideApply(kube, body, OPS_FIELD_MANAGER);
      }
      // In the manifest's spelling: spec.configSecret, or KubeDB v1's spec.configuration.secretName.
      await mergePatch(kube, { apiVersion: API_VERSION, kind: 'Postgres', metadata: { name: database, namespace }, spec: configRefPatch(db, userSecret) } as KubernetesObject);
      const rendered = configSecret(db, { [CONFIG_FILE]: renderConf(desiredParams(userSecret ? { [USER_CONF_KEY]: userConf } : undefined)) });
      await serverSideApply(kube, rendered);
      // The Pods now mount this config: the provisioner renders it from here on.
      await recordApplied(kube, { kind: 'Postgres', namespace, name: database }, (cur) => (cur ? withConfigSecret(cur, 'spec.configSecret', userSecret ?? undefined) : undefined));
      const field = db.spec.configuration ? 'spec.configuration.secretName' : 'spec.configSecret';
      return userSecret ? `custom config in Secret ${userSecret}; ${field} points to it` : 'custom config removed (defaults only)';
    },

    /**
     * Before standbys restart with a lowered standby limit (after the primary did): a checkpoint on
     * the primary, replayed by every standby, then a restartpoint on each. Otherwise a restarting
     * standby replays from an older restartpoint, meets the primary's earlier, higher value in the
     * WAL, and refuses to start ("recovery aborted because of insufficient parameter settings").
     */
    async checkpointForStandbys(namespace: string, database: string, maxWaitMs = 120_000): Promise<string> {
      const db = await readDb(namespace, database);
      const cred = await postgresCredentials(deps, namespace, database);
      const primary = primaryPodName(db);
      const standbys = podNames(db).filter((p) => p !== primary);
      const lsn = await withPostgres(await podIp(kube, namespace, primary), cred, async (c) => {
        await c.query('CHECKPOINT');
        return (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '';
      });
      const deadline = Date.now() + maxWaitMs;
      for (const pod of standbys) {
        await pollUntil(async () => {
          const done = await withPostgres(await podIp(kube, namespace, pod), cred, async (c) => {
            const r = await c.query<{ caught_up: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up', [lsn]);
            if (!r.rows[0]?.caught_up) return false;
            await c.query('CHECKPOINT'); // on a standby: a restartpoint at the checkpoint just replayed
            return true;
          }).catch(() => false);
          if (done) return true;
          if (Date.now() > deadline) throw ApplicationFailure.retryable(`${pod} did not replay the primary's checkpoint at ${lsn}`, 'StandbyBehind');
          return undefined;
        }, pollMs, () => ({ pod, lsn }));
      }
      return `checkpoint at ${lsn} on ${primary}; restartpoints on ${standbys.join(', ') || 'no standby'}`;
    },

    /**
     * On every member: reload the config (pg_reload_conf) until every expected parameter reads back
     * with its new value. The mounted config Secret reaches a running Pod with the kubelet's next sync,
     * so this waits for it; a config file the server rejects (pg_file_settings.error) fails the step.
     */
    async applyPostgresSettings(namespace: string, database: string, pods: string[], expected: Record<string, string>, maxWaitMs = 240_000): Promise<string> {
      const cred = await postgresCredentials(deps, namespace, database);
      const deadline = Date.now() + maxWaitMs;
      let last: string[] = [];
      for (const pod of pods) {
        await pollUntil(async () => {
          try {
            const host = await podIp(kube, namespace, pod);
            await withPostgres(host, cred, (c) => c.query('SELECT pg_reload_conf()'));
            // The postmaster reloads asynchronously; a new session starts from its settings, so the
            // read-back uses one (the session that asked for the reload may have read the files itself).
            await new Promise((r) => setTimeout(r, 300));
            last = await withPostgres(host, cred, async (c) => {
              const rows = new Map((await c.query<SettingRow>(SETTINGS_SQL)).rows.map((r) => [r.name, r]));
              const fileErrors = (await c.query<{ name: string | null; error: string }>('SELECT name, error FROM pg_file_settings WHERE error IS NOT NULL')).rows;
              const wrong = Object.entries(expected).filter(([n, v]) => {
                const row = rows.get(n);
                return row !== undefined && !settingMatches(row, v);
              }).map(([n, v]) => `${n} is ${rows.get(n)?.setting}${rows.get(n)?.unit ? ` ${rows.get(n)?.unit}` : ''}, not ${v}`);
              return [...fileErrors.map((e) => `the config file is rejected${e.name ? ` at ${e.name}` : ''}: ${e.error}`), ...wrong.map((w) => `${pod}: ${w}`)];
            });
          } catch (e) {
            last = [`${pod}: ${e instanceof Error ? e.message : String(e)}`];
          }
          if (last.length === 0) return true;
          if (Date.now() > deadline) throw ApplicationFailure.retryable(`settings not in effect: ${last.join('; ')}`, 'SettingsNotApplied');
          return undefined;
        }, pollMs * 4, () => ({ pod, problems: last }));
      }
      return `${Object.keys(expected).length} parameter(s) read back on ${pods.length} member(s)`;
    },
  };
}
