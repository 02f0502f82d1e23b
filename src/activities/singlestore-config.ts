// SingleStore Reconfigure activities: compute a role's new custom config from the request (shared
// with validation), persist it where the provisioner renders from (a Secret named by
// spec.topology.<role>.configSecret, and the rendered `<db>-<role>-config` the Pods mount), apply it
// online (SET GLOBAL on each node of the role) and read it back on every node.
import { ApplicationFailure } from '@temporalio/activity';
import type { V1Secret } from '@kubernetes/client-node';
import mysql from 'mysql2/promise';
import { API_VERSION } from '../api/common.ts';
import type { SingleStore } from '../api/databases.ts';
import type { ConfigurationSpec } from '../api/opsrequests.ts';
import { meta } from '../engines/common.ts';
import { CUSTOM_CONFIG_KEY, planRoleConfig, renderCnf, sameValue, type ConfigLayer, type RoleConfigPlan, type SdbParams } from '../engines/singlestore/config.ts';
import { rolePods } from '../engines/singlestore/plan.ts';
import { customConfigRef, customConfigSecretName, roleConfigSecret, type SingleStoreRole } from '../engines/singlestore/render.ts';
import { recordApplied, withConfigSecret } from '../k8s/applied-state.ts';
import { appliedConfigSecret } from '../engines/declarative.ts';
import { mergePatch, serverSideApply } from '../k8s/apply.ts';
import { isNotFound, type Kube } from '../k8s/client.ts';
import { attemptDeadline } from './deadline.ts';
import type { ActivityDeps } from './deps.ts';
import { pollUntil } from './heartbeat.ts';
import { errorText, readSingleStore, showVariables, singlestoreCredentials, withNode } from './singlestore-conn.ts';
import { decodeSecretData } from '../k8s/reads.ts';

/** A problem with the request itself (names the field); no retry can fix it. */
export class RequestProblem extends Error {}

async function secretData(kube: Kube, namespace: string, name: string, field: string): Promise<Record<string, string>> {
  try {
    return decodeSecretData((await kube.core.readNamespacedSecret({ name, namespace })).data);
  } catch (e) {
    if (isNotFound(e)) throw new RequestProblem(`${field}: Secret "${name}" not found in namespace ${namespace}`);
    throw e;
  }
}

/**
 * The role's new custom config: its current one (unless removeCustomConfig) < the request's
 * configSecret < applyConfig. Throws RequestProblem naming the field for a missing Secret or a bad file.
 */
export async function roleConfigPlan(kube: Kube, db: SingleStore, role: SingleStoreRole, spec: ConfigurationSpec): Promise<RoleConfigPlan> {
  const ns = db.metadata.namespace ?? '';
  const field = `spec.configuration.${role}`;
  // The running custom config (status.applied): the spec may already name a new one (a declarative change).
  const running = appliedConfigSecret(db, `spec.topology.${role}.configSecret`);
  const ref = db.status?.applied ? (running ? { field: customConfigRef(db, role)?.field ?? `spec.topology.${role}.configSecret`, name: running } : undefined) : customConfigRef(db, role);
  const current: ConfigLayer | undefined = ref ? { field: ref.field, files: await secretData(kube, ns, ref.name, ref.field) } : undefined;
  const configSecret: ConfigLayer | undefined = spec.configSecret
    ? { field: `${field}.configSecret`, files: await secretData(kube, ns, spec.configSecret.name, `${field}.configSecret`) } : undefined;
  const applyConfig: ConfigLayer | undefined = spec.applyConfig ? { field: `${field}.applyConfig`, files: spec.applyConfig } : undefined;
  try {
    return planRoleConfig({ current, removeCustomConfig: spec.removeCustomConfig, configSecret, applyConfig });
  } catch (e) {
    throw new RequestProblem(errorText(e));
  }
}

/** A SET GLOBAL statement (names are validated identifiers; integers unquoted, anything else a quoted string). */
export function setGlobalStatement(name: string, value: string): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`"${name}" is not a variable name`);
  return `SET GLOBAL ${name} = ${/^[+-]?\d+$/.test(value.trim()) ? value.trim() : mysql.escape(value)}`;
}

export interface PersistedConfig {
  /** The custom-config Secret spec.topology.<role>.configSecret now names. */
  secret: string;
  params: SdbParams;
  changed: string[];
  dropped: string[];
}

export interface OnlineApply {
  /** `pod: variable` for each value set. */
  set: string[];
  /** Variables a node refused to change online (read-only while running). */
  notOnline: string[];
}

export function singlestoreConfigActivities({ kube, pollMs = 250 }: ActivityDeps) {
  const db = async (namespace: string, name: string) => {
    const d = await readSingleStore(kube, namespace, name);
    if (!d) throw ApplicationFailure.nonRetryable(`SingleStore ${name} not found in namespace ${namespace}`, 'NotFound');
    return d;
  };
  return {
    /**
     * Persists the role's new custom config (idempotent: recomputed from the database spec, which a
     * retry finds already pointing at the written Secret): writes `<db>-<role>-custom-config`, points
     * spec.topology.<role>.configSecret at it and applies the rendered `<db>-<role>-config` the Pods mount.
     */
    async persistSingleStoreConfig(namespace: string, database: string, role: SingleStoreRole, spec: ConfigurationSpec): Promise<PersistedConfig> {
      const sdb = await db(namespace, database);
      let plan: RoleConfigPlan;
      try {
        plan = await roleConfigPlan(kube, sdb, role, spec);
      } catch (e) {
        if (e instanceof RequestProblem) throw ApplicationFailure.nonRetryable(e.message, 'InvalidConfiguration');
        throw e;
      }
      const secret = customConfigSecretName(sdb, role);
      const content = renderCnf(plan.params, `custom config of the ${role} nodes of SingleStore ${database}, written by a SingleStoreOpsRequest Reconfigure`);
      const custom: V1Secret = { apiVersion: 'v1', kind: 'Secret', metadata: meta(sdb, secret), type: 'Opaque', stringData: { [CUSTOM_CONFIG_KEY]: content } };
      await serverSideApply(kube, custom);
      if (sdb.spec.topology[role].configSecret?.name !== secret) {
        await mergePatch(kube, { apiVersion: API_VERSION, kind: 'SingleStore', metadata: { name: database, namespace }, spec: { topology: { [role]: { configSecret: { name: secret } } } } } as never);
      }
      // The provisioner is paused: render the Secret the Pods mount now, exactly as it will.
      const updated = { ...sdb, spec: { ...sdb.spec, topology: { ...sdb.spec.topology, [role]: { ...sdb.spec.topology[role], configSecret: { name: secret } } } } };
      await serverSideApply(kube, roleConfigSecret(updated, role, { [CUSTOM_CONFIG_KEY]: content }));
      // The role's Pods now mount this config: the provisioner renders it from here on.
      await recordApplied(kube, { kind: 'SingleStore', namespace, name: database }, (cur) => (cur ? withConfigSecret(cur, `spec.topology.${role}.configSecret`, secret) : undefined));
      return { secret, params: plan.params, changed: plan.changed, dropped: plan.dropped };
    },

    /** SET GLOBAL of every parameter a node of the role reports differently (idempotent). */
    async applySingleStoreConfig(namespace: string, database: string, role: SingleStoreRole, params: SdbParams): Promise<OnlineApply> {
      const sdb = await db(namespace, database);
      const cred = await singlestoreCredentials(kube, sdb);
      const out: OnlineApply = { set: [], notOnline: [] };
      for (const { pod } of rolePods(sdb, role)) {
        await withNode(kube, namespace, pod, cred, async (c) => {
          const now = await showVariables(c);
          for (const [name, value] of Object.entries(params)) {
            if (now[name] !== undefined && sameValue(now[name], value)) continue;
            try {
              await c.query(setGlobalStatement(name, value));
              out.set.push(`${pod}: ${name}`);
            } catch (e) {
              const errno = (e as { errno?: number }).errno;
              if (errno === 1238) { // read-only variable: takes effect only at a restart
                if (!out.notOnline.includes(name)) out.notOnline.push(name);
              } else if (errno === 1193 || errno === 1232 || errno === 1231) {
                throw ApplicationFailure.nonRetryable(`${pod} refused ${name} = ${value}: ${errorText(e)}`, 'InvalidConfiguration');
              } else throw e;
            }
          }
        });
      }
      return out;
    },

    /** Reads the parameters back on every node of the role until they all match, or fails at the step timeout. */
    async verifySingleStoreConfig(namespace: string, database: string, role: SingleStoreRole, params: SdbParams): Promise<string> {
      const sdb = await db(namespace, database);
      const cred = await singlestoreCredentials(kube, sdb);
      const pods = rolePods(sdb, role).map((p) => p.pod);
      const deadline = attemptDeadline(60_000);
      let last: string[] = ['not read yet'];
      return pollUntil(async () => {
        last = [];
        for (const pod of pods) {
          try {
            const now = await withNode(kube, namespace, pod, cred, (c) => showVariables(c));
            for (const [name, value] of Object.entries(params)) {
              if (now[name] === undefined || !sameValue(now[name], value)) last.push(`${pod} reports ${name} = ${now[name] ?? '(unknown)'}, expected ${value}`);
            }
          } catch (e) {
            last.push(`cannot read ${pod}'s variables: ${errorText(e)}`);
          }
        }
        if (last.length === 0) return `${Object.keys(params).length} parameter(s) read back on ${pods.join(', ')}`;
        if (Date.now() > deadline) throw ApplicationFailure.nonRetryable(`the ${role} nodes do not report the configuration: ${last.join('; ')}`, 'ConfigNotApplied');
        return undefined;
      }, pollMs, () => ({ problems: last }));
    },
  };
}
