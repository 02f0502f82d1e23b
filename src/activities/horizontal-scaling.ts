// HorizontalScaling activities: the Validate of each engine (reads only), the StatefulSet's new size
// (recorded on the database as what runs), waiting for a member to join or to be gone, dropping a
// removed Postgres member's replication slot, and the ProxySQL Cluster check of the new membership.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import mysql from 'mysql2/promise';
import { API_VERSION } from '../api/common.ts';
import type { Database } from '../api/databases.ts';
import { countProblem, memberNames, postgresScaleDecision, scaleChange, slotNameOf, type ScaleChange } from '../engines/horizontal-scaling.ts';
import { ROLE_LABEL } from '../engines/common.ts';
import { primaryPodName } from '../engines/postgres/render.ts';
import { peerChecksums, peerViewProblems } from '../engines/proxysql/probe.ts';
import { provisioningFor } from '../engines/provisioning.ts';
import { mergePatch } from '../k8s/apply.ts';
import { recordApplied } from '../k8s/applied-state.ts';
import { isNotFound } from '../k8s/client.ts';
import { getCustom } from '../k8s/resources.ts';
import type { OpsInput } from '../workflows/shared.ts';
import type { DbRef } from './database.ts';
import type { ActivityDeps } from './deps.ts';
import { failpoint } from './failpoints.ts';
import { pollUntil } from './heartbeat.ts';
import { crashReason, isReady, labelPod } from './pods.ts';
import { readSingleStore, singlestoreCredentials, withNode } from './singlestore-conn.ts';
import { memberHost } from '../engines/singlestore/plan.ts';
import { masterAggregatorPod, SDB_PORT, statefulSetName, type SingleStoreRole } from '../engines/singlestore/render.ts';
import { postgresCredentials, withPostgres } from './postgres-sync.ts';
import { errorText, proxysqlAdmin, readProxySQL } from './proxysql-admin.ts';
import { readPostgresFor } from './validate.ts';

export interface PostgresScalePlan extends ScaleChange {
  database: string;
  /** The primary now (a switchover's source when it is removed). */
  primary: string;
  /** The primary is removed: the role moves here first. */
  switchoverTo?: string;
  /** The standbys afterwards (the sync check's members). */
  standbys: string[];
}
export interface ProxySQLScalePlan extends ScaleChange {
  database: string;
}
export interface SingleStoreScalePlan {
  database: string;
  /** Per role (aggregators, then leaves), only those whose count changes. */
  changes: Array<ScaleChange & { role: SingleStoreRole }>;
  /** The members afterwards (the cluster check's). */
  members: { aggregators: string[]; leaves: string[] };
}

const sdbRoles: SingleStoreRole[] = ['aggregator', 'leaf'];

type Verdict<P> = { outcome: 'Proceed'; plan: P } | { outcome: 'Failed' | 'Skipped'; reason: string };

const at = (obj: unknown, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
/** {a: {b: {c: value}}} for the path a.b.c (a merge patch of one nested field). */
const nested = (path: string, value: unknown): Record<string, unknown> =>
  path.split('.').reduceRight<Record<string, unknown>>((inner, k, i, all) => (i === all.length - 1 ? { [k]: value } : { [k]: inner }), {});

export function horizontalScalingActivities(deps: ActivityDeps) {
  const { kube, pollMs = 250 } = deps;
  const readPod = async (namespace: string, name: string): Promise<V1Pod | undefined> => {
    try {
      return await kube.core.readNamespacedPod({ name, namespace });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  /** What runs: the StatefulSet's replicas (the spec may already ask for more or fewer). */
  const running = async (namespace: string, statefulSet: string, fallback: number) => {
    try {
      return (await kube.apps.readNamespacedStatefulSet({ name: statefulSet, namespace })).spec?.replicas ?? fallback;
    } catch (e) {
      if (isNotFound(e)) return fallback;
      throw e;
    }
  };
  const unchanged = (field: string, kind: string, db: string, n: number) => ({ outcome: 'Skipped' as const, reason: `${field}: ${kind} ${db} already runs ${n} member(s); nothing to do` });

  return {
    /** Checks a Postgres HorizontalScaling and plans it (the switchover when the primary would go); changes nothing. */
    async validatePostgresHorizontalScaling(input: OpsInput): Promise<Verdict<PostgresScalePlan>> {
      const field = 'spec.horizontalScaling.replicas';
      const to = input.spec.horizontalScaling?.replicas;
      const problem = countProblem(field, to);
      if (problem || to === undefined) return { outcome: 'Failed', reason: problem ?? `${field} is required` };
      const db = await readPostgresFor(kube, input);
      if (typeof db === 'string') return { outcome: 'Failed', reason: db };
      const name = db.metadata.name ?? '';
      const from = await running(input.namespace, name, db.spec.replicas);
      if (from === to) return unchanged(field, 'Postgres', name, from);
      const change = scaleChange(name, 'spec.replicas', from, to);
      const primary = primaryPodName(db);
      const decision = postgresScaleDecision(change, primary, input.spec.preferredPrimary);
      if ('problem' in decision) return { outcome: 'Failed', reason: decision.problem };
      return { outcome: 'Proceed', plan: { ...change, database: name, primary, switchoverTo: decision.switchoverTo, standbys: decision.standbys } };
    },

    /** Checks a ProxySQL HorizontalScaling (spec.horizontalScaling.member) and plans it; changes nothing. */
    async validateProxySQLHorizontalScaling(input: OpsInput): Promise<Verdict<ProxySQLScalePlan>> {
      const field = 'spec.horizontalScaling.member';
      const to = input.spec.horizontalScaling?.member;
      const problem = countProblem(field, to);
      if (problem || to === undefined) return { outcome: 'Failed', reason: problem ?? `${field} is required` };
      const name = input.spec.proxyRef?.name ?? '';
      const db = await readProxySQL(deps, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: `spec.proxyRef: ProxySQL "${name}" not found in namespace ${input.namespace}` };
      const from = await running(input.namespace, name, db.spec.replicas);
      if (from === to) return unchanged(field, 'ProxySQL', name, from);
      return { outcome: 'Proceed', plan: { ...scaleChange(name, 'spec.replicas', from, to), database: name } };
    },

    /** Checks a SingleStore HorizontalScaling (spec.horizontalScaling.aggregator / .leaf) and plans it; changes nothing. */
    async validateSingleStoreHorizontalScaling(input: OpsInput): Promise<Verdict<SingleStoreScalePlan>> {
      const name = input.spec.databaseRef?.name ?? '';
      const want = input.spec.horizontalScaling ?? {};
      if (want.aggregator === undefined && want.leaf === undefined) return { outcome: 'Failed', reason: 'spec.horizontalScaling needs aggregator or leaf' };
      for (const role of sdbRoles) {
        const problem = want[role] === undefined ? undefined : countProblem(`spec.horizontalScaling.${role}`, want[role]);
        if (problem) return { outcome: 'Failed', reason: problem };
      }
      const db = await readSingleStore(kube, input.namespace, name);
      if (!db) return { outcome: 'Failed', reason: `spec.databaseRef: SingleStore "${name}" not found in namespace ${input.namespace}` };
      const changes: SingleStoreScalePlan['changes'] = [];
      const members = { aggregators: [] as string[], leaves: [] as string[] };
      for (const role of sdbRoles) {
        const sts = statefulSetName(db, role);
        const from = await running(input.namespace, sts, db.spec.topology[role].replicas);
        const to = want[role] ?? from;
        if (to !== from) changes.push({ ...scaleChange(sts, `spec.topology.${role}.replicas`, from, to), role });
        members[role === 'leaf' ? 'leaves' : 'aggregators'] = memberNames(sts, to);
      }
      if (!changes.length) return { outcome: 'Skipped', reason: `spec.horizontalScaling: SingleStore ${name} already runs ${members.aggregators.length} aggregator(s) and ${members.leaves.length} leaf/leaves; nothing to do` };
      return { outcome: 'Proceed', plan: { database: name, changes, members } };
    },

    /** SingleStore: REMOVE LEAF / REMOVE AGGREGATOR on the master for a member about to go (one not in the cluster is done). */
    async removeSingleStoreMember(namespace: string, database: string, role: SingleStoreRole, pod: string): Promise<string> {
      const db = await readSingleStore(kube, namespace, database);
      if (!db) throw ApplicationFailure.nonRetryable(`SingleStore ${database} not found in namespace ${namespace}`, 'NotFound');
      const cred = await singlestoreCredentials(kube, db);
      const host = memberHost(db, pod);
      const removed = await withNode(kube, namespace, masterAggregatorPod(db), cred, async (c) => {
        try {
          await c.query(`REMOVE ${role === 'leaf' ? 'LEAF' : 'AGGREGATOR'} ${mysql.escape(host)}:${SDB_PORT}`);
          return true;
        } catch (e) {
          if ((e as { errno?: number }).errno === 1706) return false; // not a member (any more)
          throw e;
        }
      });
      return `${host} ${removed ? 'removed from' : 'was not in'} the cluster`;
    },

    /**
     * Sets the StatefulSet's replicas, then records the count as what runs (status.applied.replicas)
     * and on the database's spec field when the spec still says the old count (a later edit of the
     * spec, queued as its own OpsRequest, is left alone). Recorded before the members are awaited, so
     * a failure later never makes the provisioner undo the change. Idempotent.
     */
    async scaleStatefulSet(ref: DbRef, change: Pick<ScaleChange, 'statefulSet' | 'field' | 'from' | 'to'>): Promise<string> {
      const { statefulSet, field, from, to } = change;
      await mergePatch(kube, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: statefulSet, namespace: ref.namespace }, spec: { replicas: to } } as KubernetesObject);
      failpoint(`scaleStatefulSet-patched:${statefulSet}`);
      await recordApplied(kube, ref, (cur) => (cur && cur.replicas?.[field] !== to ? { ...cur, replicas: { ...cur.replicas, [field]: to } } : undefined));
      const db = await getCustom<Database>(kube, ref);
      const spec = at(db.spec, field.replace(/^spec\./, ''));
      if (spec === from) {
        await mergePatch(kube, { apiVersion: API_VERSION, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, ...nested(field, to) } as KubernetesObject);
      }
      return `${statefulSet}: ${from} → ${to} replicas; ${field} ${spec === from || spec === to ? `= ${to}` : `left at ${String(spec)} (a later edit)`}`;
    },

    /** Waits until a new member's Pod is Ready, giving it its role label (the provisioner is paused). */
    async waitMemberReady(ref: DbRef, pod: string): Promise<string> {
      const started = Date.now();
      const db = await getCustom<Database>(kube, ref);
      const role = provisioningFor(ref.kind).podRole(db, pod);
      await pollUntil(async () => {
        const p = await readPod(ref.namespace, pod);
        if (!p || p.metadata?.deletionTimestamp) return undefined;
        if (p.metadata?.labels?.[ROLE_LABEL] === undefined) await labelPod(kube, ref.namespace, pod, { [ROLE_LABEL]: role });
        const crash = crashReason(p);
        if (crash) throw ApplicationFailure.nonRetryable(`Pod ${pod} does not start: ${crash}`, 'PodCrashLooping');
        return isReady(p) ? true : undefined;
      }, pollMs, () => ({ pod }));
      return `${pod} Ready (${role}) after ${((Date.now() - started) / 1000).toFixed(1)} s`;
    },

    /** Waits until a removed member's Pod is gone (its PVC stays: whenScaled Retain). */
    async waitMemberGone(namespace: string, pod: string): Promise<string> {
      await pollUntil(async () => ((await readPod(namespace, pod)) ? undefined : true), pollMs, () => ({ pod }));
      return `${pod} removed; its PersistentVolumeClaim is kept`;
    },

    /** Drops the replication slots of removed members on the primary (an active one is waited for: its walsender ends with the Pod). */
    async dropPostgresSlots(namespace: string, database: string, pods: string[]): Promise<string> {
      const db = await readPostgresFor(kube, { namespace, spec: { databaseRef: { name: database } } });
      if (typeof db === 'string') throw ApplicationFailure.nonRetryable(db, 'NotFound');
      const primary = primaryPodName(db);
      const pod = await readPod(namespace, primary);
      const host = pod?.status?.podIP;
      if (!host) throw new Error(`the primary ${primary} has no Pod IP yet`);
      const cred = await postgresCredentials(deps, namespace, database);
      const slots = pods.map(slotNameOf);
      const dropped = await pollUntil(async () => withPostgres(host, cred, async (c) => {
        const { rows } = await c.query<{ slot_name: string; active: boolean }>('SELECT slot_name, active FROM pg_replication_slots WHERE slot_name = ANY($1)', [slots]);
        if (rows.some((r) => r.active)) return undefined;
        for (const r of rows) await c.query('SELECT pg_drop_replication_slot($1)', [r.slot_name]);
        return rows.map((r) => r.slot_name);
      }), pollMs);
      return dropped.length ? `dropped ${dropped.join(', ')} on ${primary}` : `no replication slot of ${pods.join(', ')} on ${primary}`;
    },

    /** ProxySQL Cluster after a scaling: every member sees exactly the members wanted, and their config checksums agree. */
    async checkProxySQLCluster(namespace: string, database: string, members: string[]): Promise<string> {
      const admin = await proxysqlAdmin(deps, namespace, database, members);
      let last: string[] = ['not checked yet'];
      const deadline = Date.now() + 120_000;
      return pollUntil(async () => {
        try {
          last = await admin.withAll(async (conns) => {
            const problems: string[] = [];
            for (const [m, c] of Object.entries(conns)) {
              const view = await peerChecksums(c);
              const extra = [...new Set(view.map((r) => r.hostname.split('.')[0] ?? ''))].filter((h) => !members.includes(h));
              problems.push(...peerViewProblems(view, { nowSec: Math.floor(Date.now() / 1000), expectedMembers: members }).map((p) => `${m}: ${p}`),
                ...extra.map((h) => `${m}: ${h} is still in the cluster view`));
            }
            return problems;
          });
        } catch (e) {
          last = [`cannot run the check: ${errorText(e)}`];
        }
        if (last.length === 0) return `${members.length} member(s) in ProxySQL Cluster, config checksums agree`;
        if (Date.now() > deadline) throw ApplicationFailure.retryable(`ProxySQL Cluster check failed: ${last.join('; ')}`, 'SyncCheckFailed');
        return undefined;
      }, pollMs, () => ({ problems: last }));
    },
  };
}
