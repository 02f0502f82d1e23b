// The Helm chart installs what k8s/deploy installs: for every object of k8s/deploy (but the namespace,
// the Temporal ConfigMap and the per-database-namespace example, which are values in the chart), the
// chart rendered as release "opsflow" in opsflow-system with its default values must have the same
// kind, name and namespace, and the same content where it matters (rules, bindings, admission
// policies, disruption budgets, the Deployments' Pod spec). Pure: both sides are parsed documents.
import { isDeepStrictEqual } from 'node:util';

export interface Doc { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown }

/** The files of k8s/deploy that the chart must reproduce. */
export const DEPLOY_FILES = ['serviceaccounts.yaml', 'rbac.yaml', 'user-roles.yaml', 'admission-policies.yaml', 'watcher.yaml', 'worker.yaml'];
/** What the kustomization gives both processes from the ConfigMap opsflow-temporal; the chart sets them as plain env. */
export const TEMPORAL_CONFIG_KEYS = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_UI_URL', 'OPSFLOW_TASK_QUEUE'];

type Container = { name: string; command?: string[]; env?: Array<{ name: string }>; ports?: unknown[]; readinessProbe?: unknown; livenessProbe?: unknown; resources?: unknown; securityContext?: unknown; volumeMounts?: Array<{ mountPath: string }> };
type PodSpec = { serviceAccountName?: string; terminationGracePeriodSeconds?: number; securityContext?: unknown; affinity?: unknown; containers: Container[] };
type Deployment = Doc & { spec: { replicas?: number; template: { metadata?: { annotations?: Record<string, string> }; spec: PodSpec } } };

const key = (d: Doc) => `${d.kind} ${d.metadata.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata.name}`;
const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), o);

/** a ⊆ b for plain objects (every key of a has a deep-equal value in b, recursively); arrays compare element-wise. */
function subset(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => subset(x, b[i]));
  if (a && typeof a === 'object') return Boolean(b && typeof b === 'object') && Object.entries(a).every(([k, v]) => subset(v, (b as Record<string, unknown>)[k]));
  return isDeepStrictEqual(a, b);
}

/** Fields compared exactly, per kind. */
const EXACT: Record<string, string[]> = {
  ClusterRole: ['rules'], Role: ['rules'],
  ClusterRoleBinding: ['roleRef', 'subjects'], RoleBinding: ['roleRef', 'subjects'],
  ValidatingAdmissionPolicy: ['spec'], ValidatingAdmissionPolicyBinding: ['spec'],
  PodDisruptionBudget: ['spec.minAvailable'],
  Service: ['spec.ports'],
  ServiceAccount: [],
};

function deploymentDiff(mine: Deployment, shipped: Deployment): string[] {
  const out: string[] = [];
  const at = (what: string) => `${key(shipped)}: ${what} differs`;
  if (mine.spec.replicas !== shipped.spec.replicas) out.push(at('replicas'));
  const [m, s] = [mine.spec.template.spec, shipped.spec.template.spec];
  for (const f of ['serviceAccountName', 'terminationGracePeriodSeconds', 'securityContext'] as const) if (!isDeepStrictEqual(m[f], s[f])) out.push(at(f));
  // The chart's selectors add app.kubernetes.io/instance (two releases can share a cluster): a superset.
  if (!subset(s.affinity, m.affinity)) out.push(at('affinity'));
  if (!subset(shipped.spec.template.metadata?.annotations ?? {}, mine.spec.template.metadata?.annotations ?? {})) out.push(at('Pod annotations'));
  for (const sc of s.containers) {
    const mc = m.containers.find((c) => c.name === sc.name);
    if (!mc) {
      out.push(at(`container ${sc.name}`));
      continue;
    }
    // The chart may open more ports (the watcher's state metrics), never fewer.
    if (!(sc.ports ?? []).every((p) => (mc.ports ?? []).some((q) => isDeepStrictEqual(p, q)))) out.push(at(`container ${sc.name} ports`));
    for (const f of ['command', 'readinessProbe', 'livenessProbe', 'resources', 'securityContext'] as const) if (!isDeepStrictEqual(mc[f], sc[f])) out.push(at(`container ${sc.name} ${f}`));
    // Every variable the shipped container gets (its env and the Temporal ConfigMap) is set by the
    // chart, but TEMPORAL_API_KEY, which the chart sets only when a key is configured.
    const names = new Set((mc.env ?? []).map((e) => e.name));
    const wanted = [...(sc.env ?? []).map((e) => e.name), ...TEMPORAL_CONFIG_KEYS].filter((n) => n !== 'TEMPORAL_API_KEY');
    for (const n of wanted) if (!names.has(n)) out.push(at(`container ${sc.name} env ${n}`));
    // The TLS Secret is mounted only when configured (k8s/deploy mounts an optional one).
    const paths = new Set((mc.volumeMounts ?? []).map((v) => v.mountPath));
    for (const v of sc.volumeMounts ?? []) if (v.mountPath !== '/etc/opsflow/temporal-tls' && !paths.has(v.mountPath)) out.push(at(`container ${sc.name} mount ${v.mountPath}`));
  }
  return out;
}

/** What the chart's rendering lacks or renders differently from k8s/deploy's objects; [] when it installs the same. */
export function chartVsDeploy(chart: Doc[], deploy: Doc[]): string[] {
  const out: string[] = [];
  for (const d of deploy) {
    const mine = chart.find((c) => key(c) === key(d));
    if (!mine) {
      out.push(`${key(d)}: missing`);
      continue;
    }
    if (d.kind === 'Deployment') {
      out.push(...deploymentDiff(mine as Deployment, d as Deployment));
      continue;
    }
    const fields = EXACT[d.kind];
    if (!fields) {
      out.push(`${key(d)}: kind ${d.kind} not compared (add it to chart-vs-deploy.ts)`);
      continue;
    }
    for (const f of fields) if (!isDeepStrictEqual(get(mine, f), get(d, f))) out.push(`${key(d)}: ${f} differs`);
    if (d.kind === 'PodDisruptionBudget' && !subset(get(d, 'spec.selector'), get(mine, 'spec.selector'))) out.push(`${key(d)}: spec.selector differs`);
  }
  return out;
}
