// The provisioner: level-triggered reconcile of database CRs into StatefulSets, Services and
// Secrets (server-side apply, owner references), with a periodic resync and the pause handshake.
import { randomBytes } from 'node:crypto';
import type { KubernetesObject, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { GROUP, VERSION, type Condition, type DatabaseStatus } from '../api/common.ts';
import { getCondition, setCondition, type ConditionInput } from '../api/conditions.ts';
import type { Database, Postgres } from '../api/databases.ts';
import { kindInfo } from '../api/kinds.ts';
import { authSecret, authSecretName, PAUSE_ANNOTATION, ROLE_LABEL, selectorLabels } from '../engines/common.ts';
import { DECLARATIVE_LABEL, opsKindFor, pendingChanges, desiredState, planDeclarative, UPDATE_PENDING, type Decision, type ExistingOps } from '../engines/declarative.ts';
import { recordApplied } from '../k8s/applied-state.ts';
import { provisioningFor, provisionings, type Provisioning } from '../engines/provisioning.ts';
import { mergePatch } from '../k8s/apply.ts';
import { apiErrorMessage, isConflict, isNotFound, type Kube } from '../k8s/client.ts';
import { ResilientInformer } from '../k8s/informer.ts';
import { getClusterCustom, getCustom, listCustom, updateStatus } from '../k8s/resources.ts';
import { WorkQueue } from '../k8s/workqueue.ts';
import type { Logger } from '../logger.ts';
import { decodeSecretData } from '../k8s/reads.ts';
import { materializeInlineConfig } from './inline-config.ts';
import { storageFacts } from './storage.ts';
import { alwaysLeader, type Leadership } from '../k8s/leader-election.ts';
import { isNotLeader } from '../k8s/write-fence.ts';
import { applyChildren, StaleReadError } from './conditional-apply.ts';
import { clearPause, pauseFacts, pauseVerdict } from './orphan-pause.ts';
import type { RunStatusReader } from './run-status.ts';
import { rolesWanted } from '../engines/postgres/roles.ts';
import { rolesConditions, ROLES_SYNCED } from '../engines/postgres/roles-status.ts';
import { syncPostgresRoles } from './postgres-roles.ts';

export interface ProvisionerOptions {
  kube: Kube;
  log: Logger;
  /** Container scripts shipped in each database's scripts ConfigMap (Postgres' bootstrap). */
  scripts: Record<string, string>;
  resyncMs?: number;
  namespace?: string;
  /** Only the leader reconciles (default: always the leader, for a single process and tests). */
  leadership?: Leadership;
  /** When given, a pause whose run has closed is cleared (checked every pauseCheckMs while paused). */
  runs?: RunStatusReader;
  pauseCheckMs?: number;
}

type Key = { kind: string; namespace: string; name: string };
const keyOf = (k: Key) => `${k.kind}/${k.namespace}/${k.name}`;
function parseKey(s: string): Key {
  const [kind = '', namespace = '', name = ''] = s.split('/');
  return { kind, namespace, name };
}

export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Pure: the status after one reconcile, from what was observed. */
export function nextDatabaseStatus(
  prev: DatabaseStatus | undefined,
  generation: number | undefined,
  observed: { paused?: string; versionError?: string; configError?: string; ready?: boolean; readyMessage?: string; updatePending?: ConditionInput; storage?: ConditionInput; roles?: ConditionInput[] },
  at: string,
): DatabaseStatus {
  const s = baseDatabaseStatus(prev, generation, observed, at);
  // Written by others (status.applied: the declarative path; status.primary: a switchover): kept.
  const applied = prev?.applied ? { applied: prev.applied } : {};
  const primary = prev?.primary ? { primary: prev.primary } : {};
  let conditions = observed.updatePending ? setCondition(s.conditions, observed.updatePending, at) : s.conditions;
  if (observed.storage && conditions) conditions = setCondition(conditions, observed.storage, at);
  for (const c of observed.roles ?? []) if (conditions) conditions = setCondition(conditions, c, at);
  return { ...s, ...applied, ...primary, ...(conditions ? { conditions } : {}) };
}

function baseDatabaseStatus(
  prev: DatabaseStatus | undefined,
  generation: number | undefined,
  observed: { paused?: string; versionError?: string; configError?: string; ready?: boolean; readyMessage?: string },
  at: string,
): DatabaseStatus {
  let conditions: Condition[] = prev?.conditions ?? [];
  const g = generation !== undefined ? { observedGeneration: generation } : {};
  if (observed.paused !== undefined) {
    conditions = setCondition(conditions, { type: 'Paused', status: 'True', reason: 'PausedForOperation', message: `paused for ${observed.paused}`, ...g }, at);
    return { ...prev, phase: 'Paused', conditions, observedGeneration: prev?.observedGeneration };
  }
  if (getCondition(conditions, 'Paused')) {
    conditions = setCondition(conditions, { type: 'Paused', status: 'False', reason: 'Resumed', message: 'the provisioner manages this database', ...g }, at);
  }
  if (observed.versionError) {
    conditions = setCondition(conditions, { type: 'VersionResolved', status: 'False', reason: 'UnknownVersion', message: observed.versionError, ...g }, at);
    return { phase: 'Failed', conditions, observedGeneration: generation };
  }
  conditions = setCondition(conditions, { type: 'VersionResolved', status: 'True', reason: 'FoundInCatalog', message: 'spec.version is in the catalog', ...g }, at);
  if (observed.configError) {
    conditions = setCondition(conditions, { type: 'ConfigValid', status: 'False', reason: 'InvalidConfig', message: observed.configError, ...g }, at);
    return { phase: 'Failed', conditions, observedGeneration: generation };
  }
  conditions = setCondition(conditions, { type: 'ConfigValid', status: 'True', reason: 'Rendered', message: 'configuration rendered', ...g }, at);
  conditions = setCondition(conditions, { type: 'Provisioned', status: 'True', reason: 'ObjectsApplied', message: 'StatefulSets, Services and Secrets are applied', ...g }, at);
  const ready = observed.ready === true;
  const wasReady = getCondition(prev?.conditions, 'Ready')?.status === 'True' || prev?.phase === 'NotReady';
  conditions = setCondition(conditions, { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'AllReplicasReady' : 'ReplicasNotReady', message: observed.readyMessage ?? '', ...g }, at);
  return { phase: ready ? 'Ready' : wasReady ? 'NotReady' : 'Provisioning', conditions, observedGeneration: generation };
}

export class Provisioner {
  private readonly queue: WorkQueue;
  private readonly informers: Array<ResilientInformer<KubernetesObject>> = [];

  constructor(private readonly o: ProvisionerOptions) {
    // A database deleted mid-reconcile ends the work for it (404 on its own status write).
    this.queue = new WorkQueue((k) => this.reconcile(parseKey(k)).catch((e: unknown) => { if (!isNotFound(e)) throw e; }), 4, (k, e) => {
      // A lost leadership or a read that went stale is expected, not a warning.
      (isNotLeader(e) || e instanceof StaleReadError || isConflict(e) ? o.log.debug : o.log.warn)('reconcile failed; retrying', { key: k, error: apiErrorMessage(e) });
    });
  }

  /** One pending re-check per paused database (events must not multiply the timers). */
  private readonly pauseChecks = new Set<string>();
  private recheckPauseLater(key: Key): void {
    const k = keyOf(key);
    if (this.pauseChecks.has(k)) return;
    this.pauseChecks.add(k);
    setTimeout(() => {
      this.pauseChecks.delete(k);
      this.queue.add(k);
    }, this.o.pauseCheckMs ?? 10_000).unref();
  }

  private get leadership(): Leadership {
    return this.o.leadership ?? alwaysLeader;
  }

  /** Hands every cached database to the queue again (a new leader works from its warm caches). */
  resync(): void {
    for (const obj of this.informers.flatMap((i) => i.list())) {
      const kind = (obj as { kind?: string }).kind;
      if (kind && provisionings.some((p) => p.kind === kind)) this.enqueue({ kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
      else this.enqueueOwner(obj);
    }
  }

  async start(): Promise<void> {
    const { kube } = this.o;
    for (const p of provisionings) {
      const info = kindInfo(p.kind);
      this.informers.push(new ResilientInformer<KubernetesObject>({
        kc: kube.kc,
        path: `/apis/${GROUP}/${VERSION}/${info.plural}`,
        list: async () => (await kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: info.plural })) as never,
        resyncMs: this.o.resyncMs,
        onEvent: (type, obj) => {
          if (type !== 'delete') this.enqueue({ kind: p.kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
        },
        onError: (e) => this.o.log.warn('database watch failed; restarting', { kind: p.kind, error: apiErrorMessage(e) }),
      }));
    }
    // Children changes (StatefulSet readiness, Pods replaced) bring their database back to the queue.
    const managed = 'app.kubernetes.io/managed-by=opsflow';
    this.informers.push(new ResilientInformer<KubernetesObject>({
      kc: kube.kc, path: '/apis/apps/v1/statefulsets', labelSelector: managed,
      list: () => kube.apps.listStatefulSetForAllNamespaces({ labelSelector: managed }) as never,
      onEvent: (_t, obj) => this.enqueueOwner(obj),
      onError: (e) => this.o.log.warn('statefulset watch failed; restarting', { error: apiErrorMessage(e) }),
    }));
    this.informers.push(new ResilientInformer<KubernetesObject>({
      kc: kube.kc, path: '/api/v1/pods', labelSelector: managed,
      list: () => kube.core.listPodForAllNamespaces({ labelSelector: managed }) as never,
      onEvent: (_t, obj) => this.enqueueOwner(obj),
      onError: (e) => this.o.log.warn('pod watch failed; restarting', { error: apiErrorMessage(e) }),
    }));
    await Promise.all(this.informers.map((i) => i.start()));
    this.o.log.info('provisioner started', { kinds: provisionings.map((p) => p.kind) });
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  enqueue(k: Key): void {
    if (this.o.namespace && k.namespace !== this.o.namespace) return;
    this.queue.add(keyOf(k));
  }

  private enqueueOwner(obj: KubernetesObject): void {
    const labels = obj.metadata?.labels ?? {};
    const name = labels['app.kubernetes.io/instance'];
    const plural = labels['app.kubernetes.io/name']?.replace(/\.opsflow\.dev$/, '');
    const p = provisionings.find((x) => kindInfo(x.kind).plural === plural);
    if (p && name && obj.metadata?.namespace) this.enqueue({ kind: p.kind, namespace: obj.metadata.namespace, name });
  }

  /** One level-triggered pass over one database. */
  async reconcile(key: Key): Promise<void> {
    const { kube, log } = this.o;
    if (!this.leadership.isLeader()) return; // a follower only keeps its caches warm
    const p = provisioningFor(key.kind);
    let raw: unknown;
    try {
      raw = await getCustom(kube, key);
    } catch (e) {
      if (isNotFound(e)) return; // deleted: the garbage collector removes the children
      throw e;
    }
    const parsed = p.schema.safeParse(raw);
    if (!parsed.success) {
      log.warn('database does not match its schema; left alone', { key: keyOf(key), error: parsed.error.message });
      return;
    }
    const spec = parsed.data;
    if (spec.metadata.deletionTimestamp) return;
    const gen = spec.metadata.generation;
    const paused = spec.metadata.annotations?.[PAUSE_ANNOTATION];
    let updatePending: ConditionInput | undefined;
    // Status writes are conditional (updateStatus replaces with the resourceVersion it read) and
    // skipped when the pause annotation changed since this reconcile read it.
    const write = (observed: Parameters<typeof nextDatabaseStatus>[2]) =>
      updateStatus<{ status?: DatabaseStatus; metadata?: { resourceVersion?: string; annotations?: Record<string, string> } }, DatabaseStatus>(kube, key, (cur) =>
        cur.metadata?.annotations?.[PAUSE_ANNOTATION] === paused ? nextDatabaseStatus(cur.status, gen, { ...observed, updatePending }, now()) : undefined);

    if (paused !== undefined) {
      if (this.o.runs) {
        // The acknowledgement never depends on Temporal: a failed check keeps the pause (and is retried).
        const verdict = await pauseFacts(kube, this.o.runs, key, paused).then((f) => pauseVerdict(f, key.namespace), (e: unknown) => {
          log.debug('could not check the run behind a pause; keeping it', { key: keyOf(key), holder: paused, error: apiErrorMessage(e) });
          return { clear: false as const, why: 'check failed' };
        });
        if (verdict.clear) {
          await clearPause(kube, log, { ...key, uid: spec.metadata.uid, resourceVersion: spec.metadata.resourceVersion }, paused, verdict.reason);
          return; // the annotation change brings the database back to the queue
        }
        this.recheckPauseLater(key);
      }
      // Pause handshake: acknowledged only here, after any earlier reconcile of this key finished
      // (the queue runs one reconcile per key at a time), and nothing is changed while it holds.
      await write({ paused });
      return;
    }
    if (spec.kind === 'Postgres') {
      // KubeDB v1's spec.configuration.inline becomes a config Secret first (the patch re-queues this key).
      const inline = await materializeInlineConfig(kube, spec);
      if (inline.kind === 'error') {
        await write({ configError: inline.message });
        return;
      }
      if (inline.kind === 'materialized') {
        log.info('inline config stored in a Secret', { key: keyOf(key), secret: inline.secret });
        return;
      }
    }
    const catalog = async (v: string) => {
      try {
        return p.versionSchema.parse(await getClusterCustom(kube, p.versionKind, v));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    // An unknown spec.version is a spec error: reported, nothing rendered, no OpsRequest created.
    let version = await catalog(spec.spec.version);
    if (!version) {
      await write({ versionError: `spec.version "${spec.spec.version}" is not in the ${p.versionKind} catalog (kubectl get ${kindInfo(p.versionKind).plural})` });
      return;
    }
    // Declarative changes: render what runs (status.applied); a spec edit becomes an OpsRequest.
    const decision = await this.declarative(spec);
    const db = decision.render;
    if (decision.kind !== 'FirstProvision') updatePending = decision.condition;
    if (db.spec.version !== spec.spec.version) {
      version = await catalog(db.spec.version);
      if (!version) {
        await write({ versionError: `status.applied.version "${db.spec.version}" (the running version) is not in the ${p.versionKind} catalog (kubectl get ${kindInfo(p.versionKind).plural})` });
        return;
      }
    }
    let userConfig: Record<string, string> | undefined;
    if (db.spec.configSecret) {
      try {
        userConfig = decodeSecretData((await kube.core.readNamespacedSecret({ name: db.spec.configSecret.name, namespace: key.namespace })).data);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await write({ configError: `${db.kind === 'Postgres' && db.spec.configuration ? 'spec.configuration.secretName' : 'spec.configSecret'}: Secret "${db.spec.configSecret.name}" not found` });
        return;
      }
    }
    const secrets: Record<string, Record<string, string>> = {};
    for (const ref of p.configSecretRefs?.(db) ?? []) {
      try {
        secrets[ref.name] ??= decodeSecretData((await kube.core.readNamespacedSecret({ name: ref.name, namespace: key.namespace })).data);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await write({ configError: `${ref.field}: Secret "${ref.name}" not found` });
        return;
      }
    }
    let objects;
    try {
      objects = p.render(db, version, { userConfig, scripts: this.o.scripts, secrets });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      await write({ configError: msg.startsWith('spec.') ? msg : `spec.configSecret: ${msg}` });
      return;
    }
    await this.ensureAuthSecret(p, db);
    await applyChildren(kube, { ...key, resourceVersion: spec.metadata.resourceVersion }, objects);
    if (decision.kind === 'FirstProvision') await recordApplied(kube, key, (cur) => (cur ? undefined : decision.record));
    await this.labelPodRoles(p, db);
    const { ready, message } = await this.readiness(p, db);
    const storage = await storageFacts(kube, p.statefulSets(db), db);
    const notBound = storage?.status === 'False' ? `; ${storage.message}` : '';
    const roles = spec.kind === 'Postgres' ? await this.syncRoles(spec, key) : undefined;
    await write({ ready, readyMessage: message + notBound, ...(storage ? { storage } : {}), ...(roles ? { roles } : {}) });
  }

  /** spec.users / spec.databases on the primary (every reconcile that is not paused); the conditions to write. */
  private async syncRoles(db: Postgres, key: Key): Promise<ConditionInput[] | undefined> {
    if (!rolesWanted(db, getCondition(db.status?.conditions, ROLES_SYNCED) !== undefined)) return undefined;
    const outcome = await syncPostgresRoles(this.o.kube, db);
    if (outcome.kind === 'Synced' && outcome.changes > 0) this.o.log.info('postgres roles and databases synced', { key: keyOf(key), changes: outcome.changes, kept: [...outcome.keptRoles, ...outcome.keptDatabases] });
    if (outcome.kind === 'SyncFailed') this.o.log.warn('postgres roles sync failed; retrying', { key: keyOf(key), error: outcome.error });
    // Not there yet (the primary starting, a server error, a Secret to fix): look again soon.
    if (outcome.kind === 'PrimaryNotReady' || outcome.kind === 'SyncFailed' || (outcome.kind === 'Synced' && outcome.secretProblems.length)) this.queue.addAfter(keyOf(key), 5_000);
    return rolesConditions(outcome, db.metadata.generation);
  }

  /** Decides what to render and creates the OpsRequests a spec edit needs (create-if-absent, owned by the database). */
  private async declarative(db: Database): Promise<Decision> {
    const { kube, log } = this.o;
    const namespace = db.metadata.namespace ?? '';
    const hadCondition = getCondition(db.status?.conditions, UPDATE_PENDING) !== undefined;
    const existing = new Map<string, ExistingOps>();
    const applied = db.status?.applied;
    if (applied && db.spec.updatePolicy !== 'Disabled' && pendingChanges(applied, desiredState(db)).length > 0) {
      type Ops = { metadata?: { name?: string; labels?: Record<string, string> }; status?: { phase?: string; message?: string } };
      for (const o of await listCustom<Ops>(kube, opsKindFor(db.kind), namespace)) {
        if (o.metadata?.name) existing.set(o.metadata.name, { phase: o.status?.phase, message: o.status?.message });
      }
    }
    const decision = planDeclarative(db, existing, hadCondition);
    if (decision.kind !== 'Pending') return decision;
    const info = kindInfo(opsKindFor(db.kind));
    for (const body of decision.create) {
      try {
        await kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: info.plural, namespace, body });
        log.info('declarative change: OpsRequest created', { database: `${db.kind}/${namespace}/${db.metadata.name}`, opsRequest: body.metadata.name, change: body.metadata.annotations[DECLARATIVE_LABEL] });
      } catch (e) {
        if (!isConflict(e)) throw e; // created by an earlier reconcile: one OpsRequest per change
      }
    }
    return decision;
  }

  private async ensureAuthSecret(p: Provisioning, db: Database): Promise<void> {
    const name = authSecretName(db);
    const namespace = db.metadata.namespace ?? '';
    try {
      await this.o.kube.core.readNamespacedSecret({ name, namespace });
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (db.spec.authSecret) throw new Error(`spec.authSecret: Secret "${name}" not found`);
    // Created once and never re-applied: the password is generated here and only ever read from the Secret.
    const password = randomBytes(18).toString('base64url');
    await this.o.kube.core.createNamespacedSecret({ namespace, body: authSecret(db, p.username, password) }).catch((e: unknown) => {
      if (!isConflict(e)) throw e; // created meanwhile by another reconcile: keep that one
    });
  }

  private async labelPodRoles(p: Provisioning, db: Database): Promise<void> {
    const pods = (await this.o.kube.core.listNamespacedPod({
      namespace: db.metadata.namespace ?? '',
      labelSelector: Object.entries(selectorLabels(db)).map(([k, v]) => `${k}=${v}`).join(','),
    })).items;
    for (const pod of pods) {
      const want = p.podRole(db, pod.metadata?.name ?? '');
      if (pod.metadata?.labels?.[ROLE_LABEL] === want || pod.metadata?.deletionTimestamp) continue;
      await mergePatch<V1Pod>(this.o.kube, { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, labels: { [ROLE_LABEL]: want } } })
        .catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    }
  }

  private async readiness(p: Provisioning, db: Database): Promise<{ ready: boolean; message: string }> {
    const notes: string[] = [];
    let ready = true;
    for (const name of p.statefulSets(db)) {
      let sts: V1StatefulSet;
      try {
        sts = await this.o.kube.apps.readNamespacedStatefulSet({ name, namespace: db.metadata.namespace ?? '' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        ready = false;
        notes.push(`${name}: not created yet`);
        continue;
      }
      const want = sts.spec?.replicas ?? 0;
      const have = sts.status?.readyReplicas ?? 0;
      if (have < want) ready = false;
      notes.push(`${name}: ${have}/${want} ready`);
    }
    return { ready, message: notes.join('; ') };
  }
}

