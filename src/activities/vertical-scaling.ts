// VerticalScaling (KubeDB's spec.verticalScaling.<role>.resources): the judgement before anything
// changes (reads only: the database, the request's quantities, the Pods; Skipped when every Pod
// already runs these resources), and the change itself: the database spec's podTemplate (so the
// provisioner renders the same afterwards) and the StatefulSet's Pod template, then the roll.
import type { V1Pod } from '@kubernetes/client-node';
import { API_VERSION } from '../api/common.ts';
import { PostgresSchema, type Database } from '../api/databases.ts';
import type { PodTemplate } from '../api/resources.ts';
import { appliedVersion } from '../engines/declarative.ts';
import { rolloutOrder as pgRolloutOrder } from '../engines/postgres/plan.ts';
import { podNames, primaryPodName } from '../engines/postgres/render.ts';
import { proxysqlMembers, proxysqlRolloutOrder } from '../engines/proxysql/plan.ts';
import { describeVerticalScaling, judgeVerticalScaling, sameResources, withContainerResources, type RoleChange, type RoleTarget } from '../engines/resources.ts';
import { rolloutOrder, type SingleStorePod } from '../engines/singlestore/plan.ts';
import { statefulSetName } from '../engines/singlestore/render.ts';
import { mergePatch } from '../k8s/apply.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { DbRef } from './database.ts';
import type { ActivityDeps } from './deps.ts';
import { impossible, pollUntil } from './heartbeat.ts';
import { primaryUpdateProblem } from './validate.ts';
import { readProxySQL } from './proxysql-admin.ts';
import { readSingleStore } from './singlestore-conn.ts';

interface VsPlanBase {
  database: string;
  /** One per role given, in rollout order (SingleStore: leaf before aggregator). */
  changes: RoleChange[];
}
export interface PgVerticalScalingPlan extends VsPlanBase { statefulSet: string; primary: string; pods: string[] }
export interface SdbVerticalScalingPlan extends VsPlanBase { pods: SingleStorePod[] }
export interface ProxySQLVerticalScalingPlan extends VsPlanBase { statefulSet: string; version: string; pods: string[] }

type Verdict<P> = { outcome: 'Proceed'; plan: P } | { outcome: 'Failed' | 'Skipped'; reason: string };


/** Skipped when every Pod of every role already runs the asked resources (a retry of a finished one included). */
async function alreadyScaled(kube: Kube, namespace: string, changes: RoleChange[], podsOf: (c: RoleChange) => string[]): Promise<boolean | string> {
  for (const c of changes) {
    for (const name of podsOf(c)) {
      let pod: V1Pod;
      try {
        pod = await kube.core.readNamespacedPod({ name, namespace });
      } catch (e) {
        if (isNotFound(e)) return `Pod ${name} does not exist; nothing to scale`;
        throw e;
      }
      const running = pod.spec?.containers.find((x) => x.name === c.container)?.resources as Parameters<typeof sameResources>[0];
      if (!sameResources(running, c.resources)) return false;
    }
  }
  return true;
}

async function verdict<P extends VsPlanBase>(kube: Kube, input: OpsInput, plan: P, podsOf: (c: RoleChange) => string[]): Promise<Verdict<P>> {
  const done = await alreadyScaled(kube, input.namespace, plan.changes, podsOf);
  if (typeof done === 'string') return { outcome: 'Failed', reason: done };
  if (done) return { outcome: 'Skipped', reason: `every Pod of ${plan.database} already runs ${describeVerticalScaling(plan.changes)}; nothing to do` };
  return { outcome: 'Proceed', plan };
}

export function verticalScalingActivities(deps: ActivityDeps) {
  const { kube, pollMs = 200 } = deps;
  return {
    /** Checks a Postgres VerticalScaling request (spec.verticalScaling.postgres) and plans it; changes nothing. */
    async validatePostgresVerticalScaling(input: OpsInput): Promise<Verdict<PgVerticalScalingPlan>> {
      const name = input.spec.databaseRef?.name ?? '';
      let db;
      try {
        db = PostgresSchema.parse(await getCustom(kube, { kind: 'Postgres', namespace: input.namespace, name }));
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'Failed', reason: `spec.databaseRef: Postgres "${name}" not found in namespace ${input.namespace}` };
        throw e;
      }
      const judged = judgeVerticalScaling(input.spec.verticalScaling, { postgres: { statefulSet: name, container: 'postgres', specPath: 'spec.podTemplate' } }, {
        coordinator: 'opsflow\'s Postgres has no coordinator sidecar (KubeDB\'s pg-coordinator): the primary is managed by opsflow itself; scale spec.verticalScaling.postgres',
      });
      if ('problem' in judged) return { outcome: 'Failed', reason: judged.problem };
      const refused = primaryUpdateProblem(db, input);
      if (refused) return { outcome: 'Failed', reason: refused };
      const primary = primaryPodName(db);
      const pods = pgRolloutOrder(podNames(db), primary, false);
      return verdict(kube, input, { database: name, statefulSet: name, primary, pods, changes: judged.changes }, () => pods);
    },

    /** Checks a SingleStore VerticalScaling request (aggregator, leaf) and plans it; changes nothing. */
    async validateSingleStoreVerticalScaling(input: OpsInput): Promise<Verdict<SdbVerticalScalingPlan>> {
      const name = input.spec.databaseRef?.name ?? '';
      const db = await readSingleStore(kube, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: `spec.databaseRef: SingleStore "${name}" not found in namespace ${input.namespace}` };
      const target = (role: 'leaf' | 'aggregator'): RoleTarget => ({ statefulSet: statefulSetName(db, role), container: 'singlestore', specPath: `spec.topology.${role}.podTemplate` });
      const judged = judgeVerticalScaling(input.spec.verticalScaling, { leaf: target('leaf'), aggregator: target('aggregator') }, {
        node: `SingleStore ${name} has a topology (aggregator and leaf nodes); scale them with spec.verticalScaling.aggregator and spec.verticalScaling.leaf`,
        coordinator: 'opsflow\'s SingleStore has no coordinator sidecar; scale spec.verticalScaling.aggregator and/or spec.verticalScaling.leaf',
      });
      if ('problem' in judged) return { outcome: 'Failed', reason: judged.problem };
      const pods = rolloutOrder(db, judged.changes.map((c) => c.role as 'leaf' | 'aggregator'));
      return verdict(kube, input, { database: name, pods, changes: judged.changes }, (c) => pods.filter((p) => p.statefulSet === c.statefulSet).map((p) => p.pod));
    },

    /** Checks a ProxySQL VerticalScaling request (spec.verticalScaling.proxysql) and plans it; changes nothing. */
    async validateProxySQLVerticalScaling(input: OpsInput): Promise<Verdict<ProxySQLVerticalScalingPlan>> {
      const name = input.spec.proxyRef?.name ?? '';
      const db = await readProxySQL(deps, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: `spec.proxyRef: ProxySQL "${name}" not found in namespace ${input.namespace}` };
      const judged = judgeVerticalScaling(input.spec.verticalScaling, { proxysql: { statefulSet: name, container: 'proxysql', specPath: 'spec.podTemplate' } });
      if ('problem' in judged) return { outcome: 'Failed', reason: judged.problem };
      const pods = proxysqlRolloutOrder(proxysqlMembers(db));
      return verdict(kube, input, { database: name, statefulSet: name, version: appliedVersion(db), pods, changes: judged.changes }, () => pods);
    },

    /**
     * One role's new resources, while the database is paused: first the database spec's podTemplate
     * (the provisioner renders it from then on, so it never undoes the change), then the
     * StatefulSet's container resources, replaced whole (a JSON patch, guarded by the container's
     * name). Idempotent. Returns the StatefulSet's update revision.
     */
    async applyContainerResources(ref: DbRef, change: RoleChange): Promise<string> {
      const db = await getCustom<Database>(kube, ref);
      const path = change.specPath.split('.').slice(1); // e.g. ['topology', 'leaf', 'podTemplate']
      let current: unknown = db.spec;
      for (const k of path) current = (current as Record<string, unknown> | undefined)?.[k];
      const podTemplate = withContainerResources(current as PodTemplate | undefined, change.container, change.resources);
      const spec = path.reduceRight<unknown>((inner, k) => ({ [k]: inner }), podTemplate);
      await mergePatch(kube, { apiVersion: API_VERSION, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, spec } as never);

      const sts = await kube.apps.readNamespacedStatefulSet({ name: change.statefulSet, namespace: ref.namespace });
      const i = sts.spec?.template.spec?.containers.findIndex((c) => c.name === change.container) ?? -1;
      if (i < 0) throw impossible(`StatefulSet ${change.statefulSet} has no container ${change.container}`);
      const at = `/spec/template/spec/containers/${i}`;
      await kube.apps.patchNamespacedStatefulSet({
        name: change.statefulSet, namespace: ref.namespace,
        body: [{ op: 'test', path: `${at}/name`, value: change.container }, { op: 'add', path: `${at}/resources`, value: change.resources }],
      });
      return pollUntil(async () => {
        const s = await kube.apps.readNamespacedStatefulSet({ name: change.statefulSet, namespace: ref.namespace });
        const observed = (s.status?.observedGeneration ?? 0) >= (s.metadata?.generation ?? 0);
        return observed && s.status?.updateRevision ? s.status.updateRevision : undefined;
      }, pollMs);
    },
  };
}
