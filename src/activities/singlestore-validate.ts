// Validation of SingleStoreOpsRequests before anything changes (reads only): the database, the
// catalog entries and the version judgement for UpdateVersion; for Reconfigure the topology fields,
// the Secrets and files named, and every parameter against what the role's nodes report.
import { appliedVersion } from '../engines/declarative.ts';
import type { SingleStore } from '../api/databases.ts';
import type { ConfigurationSpec } from '../api/opsrequests.ts';
import { valueProblem, type SdbParams } from '../engines/singlestore/config.ts';
import { rolloutOrder, type SingleStorePod } from '../engines/singlestore/plan.ts';
import { statefulSetName, type SingleStoreRole } from '../engines/singlestore/render.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { judgeCatalogUpdate } from './version-catalog.ts';
import { impossible } from './heartbeat.ts';
import { roleConfigPlan, RequestProblem } from './singlestore-config.ts';
import { readSingleStore, showVariables, singlestoreCredentials, withNode } from './singlestore-conn.ts';

export interface SdbUpdatePlan {
  database: string;
  currentVersion: string;
  targetVersion: string;
  targetImage: string;
  statefulSets: string[];
  /** Leaves, then child aggregators, the master aggregator last. */
  pods: SingleStorePod[];
}

export type SdbUpdateValidation = { outcome: 'Proceed'; plan: SdbUpdatePlan } | { outcome: 'Failed' | 'Skipped'; reason: string };

export interface SdbRoleReconfigure {
  role: SingleStoreRole;
  statefulSet: string;
  /** The role's Pods in rollout order (the master aggregator last). */
  pods: string[];
  restart: 'auto' | 'true' | 'false';
  spec: ConfigurationSpec;
  /** The role's merged custom config as validated. */
  params: SdbParams;
  /** The field (and file) each parameter comes from. */
  origin: Record<string, string>;
  changed: string[];
  dropped: string[];
}

export interface SdbReconfigurePlan {
  database: string;
  /** Leaves first, then the aggregators. */
  roles: SdbRoleReconfigure[];
}

export type SdbReconfigureValidation = { outcome: 'Proceed'; plan: SdbReconfigurePlan } | { outcome: 'Failed'; reason: string };

type SdbConfiguration = { node?: ConfigurationSpec; aggregator?: ConfigurationSpec; leaf?: ConfigurationSpec };

export function singlestoreValidateActivities({ kube }: ActivityDeps) {
  async function database(input: OpsInput): Promise<SingleStore | string> {
    const name = input.spec.databaseRef?.name ?? '';
    return (await readSingleStore(kube, input.namespace, name)) ?? `spec.databaseRef: SingleStore "${name}" not found in namespace ${input.namespace}`;
  }
  return {
    /** Checks a SingleStore UpdateVersion request and plans it; changes nothing. */
    async validateSingleStoreUpdateVersion(input: OpsInput): Promise<SdbUpdateValidation> {
      const db = await database(input);
      if (typeof db === 'string') return { outcome: 'Failed', reason: db };
      const verdict = await judgeCatalogUpdate(kube, 'SingleStoreVersion', appliedVersion(db), input.spec.updateVersion?.targetVersion);
      if (verdict.outcome !== 'Proceed') return verdict;
      const { current, next } = verdict;
      return {
        outcome: 'Proceed',
        plan: {
          database: db.metadata.name ?? '',
          currentVersion: current.version,
          targetVersion: next.version,
          targetImage: next.db.image,
          statefulSets: [statefulSetName(db, 'leaf'), statefulSetName(db, 'aggregator')],
          pods: rolloutOrder(db),
        },
      };
    },

    /**
     * Checks a SingleStore Reconfigure request (fields, Secrets, files) and plans it; changes nothing.
     * The parameters are checked against the nodes by checkSingleStoreParameters, once it is the
     * request's turn (an earlier operation may change the version, and so the variables).
     */
    async validateSingleStoreReconfigure(input: OpsInput): Promise<SdbReconfigureValidation> {
      const db = await database(input);
      if (typeof db === 'string') return { outcome: 'Failed', reason: db };
      const dbName = db.metadata.name ?? '';
      const cfg = (input.spec.configuration ?? {}) as SdbConfiguration;
      if (cfg.node) {
        return { outcome: 'Failed', reason: `spec.configuration.node: SingleStore ${dbName} has a topology (aggregator and leaf nodes); configure them with spec.configuration.aggregator and spec.configuration.leaf` };
      }
      const roles = (['leaf', 'aggregator'] as const).filter((r) => cfg[r]);
      if (roles.length === 0) return { outcome: 'Failed', reason: 'spec.configuration: give spec.configuration.aggregator and/or spec.configuration.leaf' };
      const plans: SdbRoleReconfigure[] = [];
      for (const role of roles) {
        const spec = cfg[role] as ConfigurationSpec;
        const field = `spec.configuration.${role}`;
        if (!spec.configSecret && !spec.applyConfig && !spec.removeCustomConfig) {
          return { outcome: 'Failed', reason: `${field}: nothing to change (give configSecret, applyConfig or removeCustomConfig)` };
        }
        let plan;
        try {
          plan = await roleConfigPlan(kube, db, role, spec);
        } catch (e) {
          if (e instanceof RequestProblem) return { outcome: 'Failed', reason: e.message };
          throw e;
        }
        plans.push({
          role, statefulSet: statefulSetName(db, role), pods: rolloutOrder(db, [role]).map((p) => p.pod), restart: spec.restart ?? 'auto', spec,
          params: plan.params, origin: plan.origin, changed: plan.changed, dropped: plan.dropped,
        });
      }
      return { outcome: 'Proceed', plan: { database: dbName, roles: plans } };
    },

    /**
     * Every parameter must be a variable every node of its role reports (SHOW VARIABLES), with a value
     * of its type; fails (non-retryable) naming the field and file of the first one that is not.
     */
    async checkSingleStoreParameters(namespace: string, database: string, roles: Array<Pick<SdbRoleReconfigure, 'role' | 'pods' | 'params' | 'origin'>>): Promise<string> {
      const db = await readSingleStore(kube, namespace, database);
      if (!db) throw impossible(`spec.databaseRef: SingleStore "${database}" not found in namespace ${namespace}`);
      const cred = await singlestoreCredentials(kube, db);
      let checked = 0;
      for (const r of roles) {
        for (const pod of r.pods) {
          const reported = await withNode(kube, namespace, pod, cred, (c) => showVariables(c));
          for (const [name, value] of Object.entries(r.params)) {
            const problem = valueProblem(name, value, reported[name]);
            if (problem) throw impossible(`${r.origin[name] ?? `spec.configuration.${r.role}`}: ${problem} (SHOW VARIABLES on ${pod})`, 'InvalidConfiguration');
            checked++;
          }
        }
      }
      return `${checked} parameter value(s) checked against SHOW VARIABLES on ${roles.flatMap((r) => r.pods).join(', ')}`;
    },
  };
}
