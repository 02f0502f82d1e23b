// Declarative changes (pure), the Zalando-operator way: an edit of spec.version or of a config Secret
// reference on the database itself is not rendered directly; the provisioner keeps rendering what
// runs (status.applied) and turns the difference into an OpsRequest owned by the database (or, with
// spec.updatePolicy: Disabled, into an UpdatePending condition saying why nothing happens).
import type { AppliedState } from '../api/common.ts';
import type { ConditionInput } from '../api/conditions.ts';
import type { Database, SingleStore } from '../api/databases.ts';
import { compareVersions } from '../api/semver.ts';
import { ownerReference } from './common.ts';

export const DECLARATIVE_LABEL = 'opsflow.dev/declarative-change';
export const UPDATE_PENDING = 'UpdatePending';

type Role = 'aggregator' | 'leaf';
const roles: Role[] = ['aggregator', 'leaf'];

/** The config Secret references a kind's rendering depends on, by spec field path. */
export function configSecretsOf(db: Database): Record<string, string> {
  const out: Record<string, string> = {};
  if (db.kind === 'Postgres' && db.spec.configSecret) out['spec.configSecret'] = db.spec.configSecret.name;
  if (db.kind === 'SingleStore') {
    for (const r of roles) {
      // A role without its own Secret uses spec.configSecret (see customConfigRef): recorded per role.
      const name = db.spec.topology[r].configSecret?.name ?? db.spec.configSecret?.name;
      if (name) out[`spec.topology.${r}.configSecret`] = name;
    }
  }
  // ProxySQL: its config Secret only seeds proxysql.cnf; its Reconfigure changes the runtime
  // (users, rules, variables), so spec.configSecret stays rendered directly.
  return out;
}

/**
 * The member counts a HorizontalScaling changes, by spec field path (kinds whose HorizontalScaling
 * is built; the others' counts are rendered from the spec directly).
 */
export function replicasOf(db: Database): Record<string, number> {
  if (db.kind === 'Postgres' || db.kind === 'ProxySQL') return { 'spec.replicas': db.spec.replicas };
  return Object.fromEntries(roles.map((r) => [`spec.topology.${r}.replicas`, db.spec.topology[r].replicas]));
}
const isReplicasField = (field: string) => field.endsWith('.replicas');

/** What the spec asks for, in the shape status.applied records. */
export const desiredState = (db: Database): AppliedState => ({ version: db.spec.version, configSecrets: configSecretsOf(db), replicas: replicasOf(db) });

/** The running config Secret of a field: status.applied when recorded, else the spec (not yet recorded). */
export function appliedConfigSecret(db: Database, field: string): string | undefined {
  return db.status?.applied ? db.status.applied.configSecrets?.[field] : configSecretsOf(db)[field];
}

/** The running version: status.applied when recorded, else spec.version. */
export const appliedVersion = (db: Database): string => db.status?.applied?.version ?? db.spec.version;

/** The database as the provisioner renders it: the spec with the applied version and config Secrets. */
export function effectiveDatabase(db: Database, applied: AppliedState): Database {
  const cs = applied.configSecrets ?? {};
  const ref = (name: string | undefined) => (name ? { name } : undefined);
  // What runs: the recorded member count (absent in a record older than HorizontalScaling: the spec's).
  const replicas = applied.replicas?.['spec.replicas'];
  if (db.kind === 'Postgres') return { ...db, spec: { ...db.spec, version: applied.version, configSecret: ref(cs['spec.configSecret']), replicas: replicas ?? db.spec.replicas } };
  if (db.kind === 'SingleStore') {
    const topology = { ...db.spec.topology } as SingleStore['spec']['topology'];
    for (const r of roles) {
      topology[r] = { ...topology[r], configSecret: ref(cs[`spec.topology.${r}.configSecret`]), replicas: applied.replicas?.[`spec.topology.${r}.replicas`] ?? topology[r].replicas };
    }
    return { ...db, spec: { ...db.spec, version: applied.version, configSecret: undefined, topology } };
  }
  return { ...db, spec: { ...db.spec, version: applied.version, replicas: replicas ?? db.spec.replicas } };
}

export interface Change { field: string; from: string | undefined; to: string | undefined }

/** Every field whose spec value differs from what runs. */
export function pendingChanges(applied: AppliedState, desired: AppliedState): Change[] {
  const out: Change[] = [];
  if (applied.version !== desired.version) out.push({ field: 'spec.version', from: applied.version, to: desired.version });
  const a = applied.configSecrets ?? {};
  const d = desired.configSecrets ?? {};
  for (const field of [...new Set([...Object.keys(a), ...Object.keys(d)])].sort()) {
    if (a[field] !== d[field]) out.push({ field, from: a[field], to: d[field] });
  }
  // A member count recorded as running and asked for differently (unrecorded: nothing to compare).
  for (const [field, n] of Object.entries(desired.replicas ?? {})) {
    const running = applied.replicas?.[field];
    if (running !== undefined && running !== n) out.push({ field, from: String(running), to: String(n) });
  }
  return out;
}

/** Pure: `to` is an older version than `from` (names that are not versions never count as older). */
function isDowngrade(from: string, to: string): boolean {
  try {
    return compareVersions(to, from) < 0;
  } catch {
    return false;
  }
}

export const opsKindFor = (kind: Database['kind']) => `${kind}OpsRequest`;

/** A short, stable hash (FNV-1a, 32 bit, base 36) for deterministic names. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0');
}

const describe = (c: Change) => `${c.field} ${c.from ?? '(none)'} → ${c.to ?? '(none)'}`;
const dnsPart = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 20);

export interface OpsBody {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: ReturnType<typeof ownerReference>[] };
  spec: Record<string, unknown>;
}

/** The OpsRequests that carry the changes: an UpdateVersion for spec.version, one Reconfigure for the config Secrets. */
export function opsRequestsFor(db: Database, changes: Change[]): Array<{ body: OpsBody; changes: Change[] }> {
  const name = db.metadata.name ?? '';
  const key = (cs: Change[]) => shortHash(`${db.metadata.uid ?? ''}|${cs.map(describe).join('|')}`);
  const ref = db.kind === 'ProxySQL' ? { proxyRef: { name } } : { databaseRef: { name } };
  const body = (opsName: string, cs: Change[], spec: Record<string, unknown>): { body: OpsBody; changes: Change[] } => ({
    changes: cs,
    body: {
      apiVersion: db.apiVersion, kind: opsKindFor(db.kind),
      metadata: {
        name: opsName, namespace: db.metadata.namespace,
        labels: { [DECLARATIVE_LABEL]: 'true', 'app.kubernetes.io/instance': name },
        annotations: { 'opsflow.dev/declarative-change': cs.map(describe).join('; ') },
        ownerReferences: [{ ...ownerReference(db), controller: false }],
      },
      spec: { ...ref, ...spec },
    },
  });
  const out: Array<{ body: OpsBody; changes: Change[] }> = [];
  const version = changes.find((c) => c.field === 'spec.version');
  if (version?.to) {
    out.push(body(`${name}-update-${dnsPart(version.to)}-${key([version])}`, [version], { type: 'UpdateVersion', updateVersion: { targetVersion: version.to } }));
  }
  const scale = changes.filter((c) => isReplicasField(c.field));
  if (scale.length) {
    const n = Number(scale[0]?.to);
    const roleOf = (c: Change) => /^spec\.topology\.(\w+)\.replicas$/.exec(c.field)?.[1] ?? '';
    const horizontalScaling = db.kind === 'ProxySQL' ? { member: n } : db.kind === 'SingleStore'
      ? Object.fromEntries(scale.map((c) => [roleOf(c), Number(c.to)])) : { replicas: n };
    out.push(body(`${name}-scale-${scale.map((c) => c.to).join('-')}-${key(scale)}`, scale, { type: 'HorizontalScaling', horizontalScaling }));
  }
  const config = changes.filter((c) => c.field !== 'spec.version' && !isReplicasField(c.field));
  if (config.length) {
    const conf = (c: Change) => (c.to ? { configSecret: { name: c.to } } : { removeCustomConfig: true });
    let configuration: Record<string, unknown>;
    if (db.kind === 'SingleStore') {
      configuration = Object.fromEntries(config.map((c) => [/^spec\.topology\.(\w+)\.configSecret$/.exec(c.field)?.[1] ?? '', conf(c)]));
    } else {
      configuration = conf(config[0] as Change);
    }
    out.push(body(`${name}-reconfigure-${key(config)}`, config, { type: 'Reconfigure', configuration }));
  }
  return out;
}

export interface ExistingOps { phase?: string; message?: string }

export type Decision =
  | { kind: 'FirstProvision'; render: Database; record: AppliedState }
  | { kind: 'UpToDate'; render: Database; condition?: ConditionInput }
  | { kind: 'Pending'; render: Database; create: OpsBody[]; condition: ConditionInput };

/**
 * The decision for one reconcile. `existing` maps OpsRequest names (of the database's kind) to what
 * is known of them; `hadCondition` says whether the database already shows UpdatePending.
 */
export function planDeclarative(db: Database, existing: ReadonlyMap<string, ExistingOps>, hadCondition: boolean): Decision {
  const applied = db.status?.applied;
  const desired = desiredState(db);
  // Nothing runs yet (or the database predates status.applied): render the spec and record it.
  if (!applied) return { kind: 'FirstProvision', render: db, record: desired };
  const render = effectiveDatabase(db, applied);
  const changes = pendingChanges(applied, desired);
  const g = db.metadata.generation !== undefined ? { observedGeneration: db.metadata.generation } : {};
  if (changes.length === 0) {
    return {
      kind: 'UpToDate', render,
      condition: hadCondition ? { type: UPDATE_PENDING, status: 'False', reason: 'UpToDate', message: 'the running StatefulSets match the spec', ...g } : undefined,
    };
  }
  const opsKind = opsKindFor(db.kind);
  if (db.spec.updatePolicy === 'Disabled') {
    return {
      kind: 'Pending', render, create: [],
      condition: {
        type: UPDATE_PENDING, status: 'True', reason: 'UpdatePolicyDisabled',
        message: `${changes.map(describe).join('; ')} ${changes.length > 1 ? 'are' : 'is'} not applied: spec.updatePolicy is Disabled; create a ${opsKind}`, ...g,
      },
    };
  }
  // spec.version older than what runs (an UpdateVersion created directly, that failed after the
  // StatefulSet moved on, leaves spec.version behind): never turned into a downgrade.
  const older = changes.find((c) => c.field === 'spec.version' && c.from && c.to && isDowngrade(c.from, c.to));
  const requests = opsRequestsFor(db, older ? changes.filter((c) => c !== older) : changes);
  const create: OpsBody[] = [];
  const notes: string[] = older
    ? [`spec.version ${older.to} is older than the running version ${older.from} (status.applied.version); downgrades are not allowed: set spec.version to ${older.from} or later`]
    : [];
  let failed = older !== undefined;
  for (const r of requests) {
    // The same change made again after an earlier request for it succeeded (A → B → A → B):
    // the next free name in the chain `<name>`, `<name>-2`, … (the earlier one stays as history).
    const base = r.body.metadata.name;
    let n = 1;
    let name = base;
    while (existing.get(name)?.phase === 'Successful') name = `${base}-${++n}`;
    r.body.metadata.name = name;
    const seen = existing.get(name);
    if (!seen) create.push(r.body);
    const phase = seen?.phase ?? 'Pending';
    if (phase === 'Failed' || phase === 'Skipped') failed = true;
    const what = `${r.changes.map(describe).join('; ')}: ${opsKind} ${r.body.metadata.name} ${phase}`;
    notes.push(phase === 'Failed' || phase === 'Skipped'
      ? `${what}${seen?.message ? ` (${seen.message})` : ''}; delete it to retry, or set the spec back`
      : what);
  }
  return {
    kind: 'Pending', render, create,
    condition: { type: UPDATE_PENDING, status: 'True', reason: older ? 'NewerVersionRunning' : failed ? 'OpsRequestFailed' : 'OpsRequestInProgress', message: notes.join('; '), ...g },
  };
}
