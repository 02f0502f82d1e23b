// Compute resources of a database container (pure): the quantity grammar of Kubernetes, the checks a
// VerticalScaling request gets before anything changes (names the field), and the podTemplate of a
// database spec that carries a container's resources (what the provisioner renders).
import type { PodTemplate, Quantity, ResourceRequirements } from '../api/resources.ts';

// resource.Quantity's grammar: a decimal number, then a binary (Ki…Ei), decimal (n, u, m, k, M…E) or exponent suffix.
const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const SCALE: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};
/** Resource names a database container may ask for (a device plugin's domain/name is refused: not opsflow's to hand out). */
const RESOURCE_NAME = /^(cpu|memory|ephemeral-storage|hugepages-\d+(Ki|Mi|Gi))$/;

/** The value of a quantity (cpu in cores, memory in bytes), or undefined when it is not one. */
export function parseQuantity(q: Quantity): number | undefined {
  const s = typeof q === 'number' ? String(q) : q.trim();
  const m = QUANTITY.exec(s);
  if (!m || (typeof q === 'number' && (!Number.isFinite(q) || q < 0))) return undefined;
  const suffix = m[3] ?? '';
  const n = Number(m[1]);
  const v = /^[eE]/.test(suffix) ? n * 10 ** Number(suffix.slice(1)) : n * (SCALE[suffix] ?? Number.NaN);
  // 12 significant digits: 700m and 0.7 are the same amount (700 * 1e-3 is 0.7000000000000001).
  return Number(v.toPrecision(12));
}

/** Every problem of a resources block, each naming its field (empty: valid). */
export function resourcesProblems(field: string, r: ResourceRequirements): string[] {
  const out: string[] = [];
  const requests = r.requests ?? {};
  const limits = r.limits ?? {};
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) out.push(`${field}: give requests and/or limits`);
  for (const [part, map] of [['requests', requests], ['limits', limits]] as const) {
    for (const [name, q] of Object.entries(map)) {
      if (!RESOURCE_NAME.test(name)) out.push(`${field}.${part}.${name}: not a resource opsflow sets (cpu, memory, ephemeral-storage, hugepages-<size>)`);
      else if (parseQuantity(q) === undefined) out.push(`${field}.${part}.${name}: ${JSON.stringify(q)} is not a Kubernetes quantity (e.g. 500m, 2, 1Gi)`);
    }
  }
  for (const [name, q] of Object.entries(requests)) {
    const want = parseQuantity(q);
    const cap = limits[name] === undefined ? undefined : parseQuantity(limits[name]);
    if (want !== undefined && cap !== undefined && want > cap) out.push(`${field}.requests.${name}: ${String(q)} is more than limits.${name} ${String(limits[name])}`);
  }
  return out;
}

/** The resources as the API server stores them (quantities as strings, keys sorted), for rendering and comparing. */
export function normalResources(r: ResourceRequirements | undefined): { requests?: Record<string, string>; limits?: Record<string, string> } {
  const norm = (m: Record<string, Quantity> | undefined) => (m && Object.keys(m).length
    ? Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, String(v)])) : undefined);
  const requests = norm(r?.requests);
  const limits = norm(r?.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** Pure: two resources blocks ask for the same amounts (1000m equals 1, 1Gi equals 1024Mi). */
export function sameResources(a: ResourceRequirements | undefined, b: ResourceRequirements | undefined): boolean {
  const same = (x: Record<string, Quantity> = {}, y: Record<string, Quantity> = {}) => {
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    return [...keys].every((k) => x[k] !== undefined && y[k] !== undefined && parseQuantity(x[k]) === parseQuantity(y[k]));
  };
  return same(a?.requests, b?.requests) && same(a?.limits, b?.limits);
}

/** The resources a podTemplate gives a container (undefined: none set). */
export function containerResources(t: PodTemplate | undefined, container: string): ResourceRequirements | undefined {
  return t?.spec?.containers?.find((c) => c.name === container)?.resources;
}

/** The podTemplate with a container's resources replaced (the other containers' entries kept). */
export function withContainerResources(t: PodTemplate | undefined, container: string, resources: ResourceRequirements): PodTemplate {
  const others = (t?.spec?.containers ?? []).filter((c) => c.name !== container);
  return { ...t, spec: { ...t?.spec, containers: [...others, { name: container, resources: normalResources(resources) }] } };
}

/** What a rendered container gets: `resources` when the podTemplate sets some. */
export function renderedResources(t: PodTemplate | undefined, container: string): { resources?: ReturnType<typeof normalResources> } {
  const r = containerResources(t, container);
  return r ? { resources: normalResources(r) } : {};
}

/** Where a VerticalScaling role key lands: the StatefulSet and container it scales, and the database field that carries it. */
export interface RoleTarget {
  statefulSet: string;
  container: string;
  /** The database's podTemplate field, e.g. spec.podTemplate or spec.topology.leaf.podTemplate. */
  specPath: string;
}
export type RoleChange = RoleTarget & { role: string; resources: ReturnType<typeof normalResources> };

/**
 * Pure: spec.verticalScaling judged against the role keys an engine has (targets, in rollout order)
 * and the KubeDB keys it refuses (with the reason): the changes, or the first problem naming its field.
 */
export function judgeVerticalScaling(
  request: Record<string, { resources: ResourceRequirements } | undefined> | undefined,
  targets: Record<string, RoleTarget>,
  refused: Record<string, string> = {},
): { changes: RoleChange[] } | { problem: string } {
  const given = Object.entries(request ?? {}).filter(([, v]) => v !== undefined);
  const keys = Object.keys(targets);
  if (given.length === 0) return { problem: `spec.verticalScaling: give ${keys.join(' and/or ')} (each with resources)` };
  for (const [role] of given) {
    const field = `spec.verticalScaling.${role}`;
    if (refused[role]) return { problem: `${field}: ${refused[role]}` };
    if (!targets[role]) return { problem: `${field}: not a role of this database (roles: ${keys.join(', ')})` };
  }
  const problems = given.flatMap(([role, v]) => resourcesProblems(`spec.verticalScaling.${role}.resources`, v?.resources ?? {}));
  if (problems.length) return { problem: problems.join('; ') };
  return {
    changes: keys.flatMap((role) => {
      const t = targets[role];
      const r = request?.[role]?.resources;
      return t && r ? [{ ...t, role, resources: normalResources(r) }] : [];
    }),
  };
}

const describeChange = (c: RoleChange) => `${c.role}: ${(['requests', 'limits'] as const).map((k) => {
  const m = c.resources[k];
  return m ? `${k} ${Object.entries(m).map(([n, q]) => `${n}=${q}`).join(',')}` : '';
}).filter(Boolean).join(' ')}`;
/** The changes as the Validate step and the dry run show them, e.g. "leaf: requests cpu=500m,memory=1Gi limits cpu=1". */
export const describeVerticalScaling = (changes: RoleChange[]): string => changes.map(describeChange).join('; ');
