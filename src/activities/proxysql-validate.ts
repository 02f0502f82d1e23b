// Validation of ProxySQL OpsRequests before anything changes (reads only): the ProxySQL, the
// catalog for UpdateVersion; for Reconfigure the request itself (with the real passwords, read from
// the OpsRequest here and never returned) and the members' current config.
import { ApplicationFailure } from '@temporalio/activity';
import { appliedVersion } from '../engines/declarative.ts';
import { ProxySQLOpsRequestSchema } from '../api/opsrequests.ts';
import { configurationProblems, describeConfiguration, liveProblems, type ProxySQLConfiguration } from '../engines/proxysql/config.ts';
import { proxysqlMembers, proxysqlRolloutOrder } from '../engines/proxysql/plan.ts';
import { isNotFound } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { judgeCatalogUpdate } from './version-catalog.ts';
import { impossible } from './heartbeat.ts';
import { errorText, proxysqlAdmin, queryRows, readProxySQL } from './proxysql-admin.ts';
import { resolvePasswords } from './proxysql-passwords.ts';

export interface ProxySQLUpdatePlan {
  database: string;
  statefulSet: string;
  currentVersion: string;
  targetVersion: string;
  targetImage: string;
  /** Members in the order they are rolled. */
  pods: string[];
}

export type ProxySQLUpdateValidation = { outcome: 'Proceed'; plan: ProxySQLUpdatePlan } | { outcome: 'Failed' | 'Skipped'; reason: string };

export interface ProxySQLReconfigurePlan {
  database: string;
  members: string[];
  summary: string;
}

export type ProxySQLReconfigureValidation = { outcome: 'Proceed'; plan: ProxySQLReconfigurePlan } | { outcome: 'Failed'; reason: string };

/**
 * The OpsRequest's configuration as stored (passwords included): for activities only, never to be
 * returned or logged. Fails when the object is gone or is another one with the same name.
 */
export async function readRealConfiguration(deps: ActivityDeps, input: OpsInput): Promise<ProxySQLConfiguration> {
  let obj: unknown;
  try {
    obj = await getCustom(deps.kube, { kind: 'ProxySQLOpsRequest', namespace: input.namespace, name: input.name });
  } catch (e) {
    if (isNotFound(e)) throw impossible(`ProxySQLOpsRequest ${input.name} no longer exists`);
    throw e;
  }
  const ops = ProxySQLOpsRequestSchema.parse(obj);
  if (ops.metadata.uid !== input.uid) throw impossible(`ProxySQLOpsRequest ${input.name} was replaced by another object`);
  return (ops.spec.configuration ?? {}) as ProxySQLConfiguration;
}

/** The configuration with every password resolved (Secret or backend): for the activities that apply or verify it. */
export async function readResolvedConfiguration(deps: ActivityDeps, input: OpsInput): Promise<ProxySQLConfiguration> {
  const cfg = await readRealConfiguration(deps, input);
  const db = await readProxySQL(deps, input.namespace, input.spec.proxyRef?.name ?? '');
  if (!db) throw impossible(`spec.proxyRef: ProxySQL "${input.spec.proxyRef?.name ?? ''}" not found in namespace ${input.namespace}`);
  return resolvePasswords(deps, input.namespace, db, cfg);
}

export function proxysqlValidateActivities(deps: ActivityDeps) {
  const { kube } = deps;
  const missing = (input: OpsInput) => `spec.proxyRef: ProxySQL "${input.spec.proxyRef?.name ?? ''}" not found in namespace ${input.namespace}`;
  return {
    /** Checks a ProxySQL UpdateVersion request and plans it; changes nothing. */
    async validateProxySQLUpdateVersion(input: OpsInput): Promise<ProxySQLUpdateValidation> {
      const name = input.spec.proxyRef?.name ?? '';
      const db = await readProxySQL(deps, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: missing(input) };
      const verdict = await judgeCatalogUpdate(kube, 'ProxySQLVersion', appliedVersion(db), input.spec.updateVersion?.targetVersion);
      if (verdict.outcome !== 'Proceed') return verdict;
      const { current, next } = verdict;
      return {
        outcome: 'Proceed',
        plan: {
          database: name, statefulSet: name, currentVersion: current.version, targetVersion: next.version,
          targetImage: next.db.image, pods: proxysqlRolloutOrder(proxysqlMembers(db)),
        },
      };
    },

    /** Checks a ProxySQL Reconfigure request on its own (the ProxySQL, columns, values, passwords); changes nothing. */
    async validateProxySQLReconfigure(input: OpsInput): Promise<ProxySQLReconfigureValidation> {
      const name = input.spec.proxyRef?.name ?? '';
      const db = await readProxySQL(deps, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: missing(input) };
      const cfg = await readRealConfiguration(deps, input);
      const problems = configurationProblems(cfg);
      if (problems.length) return { outcome: 'Failed', reason: problems.join('; ') };
      // Every password must be there (Secret or backend) before anything changes.
      try {
        await resolvePasswords(deps, input.namespace, db, cfg);
      } catch (e) {
        if (e instanceof ApplicationFailure && e.nonRetryable) return { outcome: 'Failed', reason: e.message };
        throw e;
      }
      return { outcome: 'Proceed', plan: { database: name, members: proxysqlMembers(db), summary: describeConfiguration(cfg) } };
    },

    /**
     * Checks the request against the members' current config (run once the earlier operations on
     * the ProxySQL are done): add of an existing user or rule, update/delete of a missing one,
     * unknown variables. Returns the problems (empty: go ahead); changes nothing.
     */
    async checkProxySQLCurrentConfig(input: OpsInput): Promise<string[]> {
      const name = input.spec.proxyRef?.name ?? '';
      const cfg = await readRealConfiguration(deps, input);
      const admin = await proxysqlAdmin(deps, input.namespace, name);
      // The current config, from the first member that answers (the members agree, ProxySQL Cluster).
      const errors: string[] = [];
      for (const m of admin.members) {
        let facts: Parameters<typeof liveProblems>[1];
        try {
          facts = await admin.withMember(m, async (c) => ({
            users: new Set((await queryRows(c, 'SELECT username FROM runtime_mysql_users')).map((r) => String(r.username))),
            rules: new Set((await queryRows(c, 'SELECT rule_id FROM runtime_mysql_query_rules')).map((r) => Number(r.rule_id))),
            variables: new Set((await queryRows(c, 'SELECT variable_name FROM global_variables')).map((r) => String(r.variable_name))),
          }));
        } catch (e) {
          errors.push(`${m}: ${errorText(e)}`);
          continue;
        }
        return liveProblems(cfg, facts);
      }
      throw new Error(`no member of ProxySQL ${name} answers on its admin interface: ${errors.join('; ')}`);
    },
  };
}
