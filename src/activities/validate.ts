// Validation before anything changes: the database, the catalog entries, the constraints. Reads only.
import { appliedVersion } from '../engines/declarative.ts';
import { PostgresSchema, type Postgres } from '../api/databases.ts';
import { planPrimaryUpdate, rolloutOrder } from '../engines/postgres/plan.ts';
import { podNames, primaryPodName } from '../engines/postgres/render.ts';
import { isNotFound } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { ActivityDeps } from './deps.ts';
import { judgeCatalogUpdate } from './version-catalog.ts';

export interface UpdatePlan {
  database: string;
  statefulSet: string;
  currentVersion: string;
  targetVersion: string;
  currentImage: string;
  targetImage: string;
  major: boolean;
  primary: string;
  /** Pods in the order they are rolled. */
  pods: string[];
}

export type Validation =
  | { outcome: 'Proceed'; plan: UpdatePlan }
  | { outcome: 'Failed' | 'Skipped'; reason: string };

export interface RestartPlan {
  database: string;
  statefulSet: string;
  primary: string;
  pods: string[];
  /** UID of each Pod when planned: a Pod whose UID differs later was already restarted. */
  uids: Record<string, string>;
}

export type RestartValidation = { outcome: 'Proceed'; plan: RestartPlan } | { outcome: 'Failed'; reason: string };

/** spec.preferredPrimary must name a member; the problem (naming the field), or undefined. */
export function primaryUpdateProblem(db: Postgres, input: OpsInput): string | undefined {
  const p = planPrimaryUpdate(podNames(db), primaryPodName(db), input.spec.primaryUpdateMethod, input.spec.preferredPrimary);
  return 'problem' in p ? p.problem : undefined;
}

/** The Postgres a request names, or the reason it cannot be used (naming spec.databaseRef). */
export async function readPostgresFor(kube: ActivityDeps['kube'], input: Pick<OpsInput, 'namespace'> & { spec: Pick<OpsInput['spec'], 'databaseRef'> }): Promise<Postgres | string> {
  const dbName = input.spec.databaseRef?.name ?? '';
  try {
    return PostgresSchema.parse(await getCustom(kube, { kind: 'Postgres', namespace: input.namespace, name: dbName }));
  } catch (e) {
    if (isNotFound(e)) return `spec.databaseRef: Postgres "${dbName}" not found in namespace ${input.namespace}`;
    throw e;
  }
}

export function validateActivities({ kube }: ActivityDeps) {
  const readPostgres = (input: OpsInput) => readPostgresFor(kube, input);

  return {
    /** Checks a Postgres Restart request and plans it (standbys first, the primary last); changes nothing. */
    async validatePostgresRestart(input: OpsInput): Promise<RestartValidation> {
      const dbName = input.spec.databaseRef?.name ?? '';
      const db = await readPostgres(input);
      if (typeof db === 'string') return { outcome: 'Failed', reason: db };
      const refused = primaryUpdateProblem(db, input);
      if (refused) return { outcome: 'Failed', reason: refused };
      const primary = primaryPodName(db);
      const pods = rolloutOrder(podNames(db), primary, false);
      const uids: Record<string, string> = {};
      for (const name of pods) {
        try {
          uids[name] = (await kube.core.readNamespacedPod({ name, namespace: input.namespace })).metadata?.uid ?? '';
        } catch (e) {
          if (isNotFound(e)) return { outcome: 'Failed', reason: `Pod ${name} of Postgres ${dbName} does not exist; nothing to restart` };
          throw e;
        }
      }
      return { outcome: 'Proceed', plan: { database: dbName, statefulSet: dbName, primary, pods, uids } };
    },

    /** Checks a Postgres UpdateVersion request and plans it; changes nothing. */
    async validatePostgresUpdateVersion(input: OpsInput): Promise<Validation> {
      const dbName = input.spec.databaseRef?.name ?? '';
      const db = await readPostgres(input);
      if (typeof db === 'string') return { outcome: 'Failed', reason: db };
      const refused = primaryUpdateProblem(db, input);
      if (refused) return { outcome: 'Failed', reason: refused };
      const verdict = await judgeCatalogUpdate(kube, 'PostgresVersion', appliedVersion(db), input.spec.updateVersion?.targetVersion);
      if (verdict.outcome !== 'Proceed') return verdict;
      const { current, next } = verdict;
      const primary = primaryPodName(db);
      return {
        outcome: 'Proceed',
        plan: {
          database: dbName,
          statefulSet: dbName,
          currentVersion: current.version,
          targetVersion: next.version,
          currentImage: current.db.image,
          targetImage: next.db.image,
          major: verdict.major,
          primary,
          pods: rolloutOrder(podNames(db), primary, verdict.major),
        },
      };
    },
  };
}
