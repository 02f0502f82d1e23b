// The watcher's Prometheus metrics: the state of OpsRequests and databases as the API server has it
// (kube-state-metrics style), which workflow metrics cannot give: what is queued, how long the running
// step of an open OpsRequest has been running against its spec.timeout, and which databases are
// paused. Pure: objects in, Prometheus text out.

/** The parts of an OpsRequest or a database the metrics read. */
export interface StateObject {
  kind: string;
  metadata: { namespace?: string; name?: string };
  spec?: { databaseRef?: { name?: string }; proxyRef?: { name?: string }; timeout?: string; [k: string]: unknown };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; lastTransitionTime?: string }> };
}

export const OPS_PHASES = ['Pending', 'WaitingForApproval', 'Progressing', 'Successful', 'Failed', 'Skipped'] as const;
const TERMINAL = new Set(['Successful', 'Failed', 'Skipped']);
const DATABASE_OF: Record<string, string> = { PostgresOpsRequest: 'Postgres', SingleStoreOpsRequest: 'SingleStore', ProxySQLOpsRequest: 'ProxySQL' };

/** Pure: a Go-style duration (spec.timeout: 30s, 5m, 1h30m, 500ms) in seconds. */
export function durationSeconds(d: string): number {
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of d.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (unit[m[2] ?? 's'] ?? 1);
  return total;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

interface Family { name: string; help: string; samples: Array<[Record<string, string>, number]> }

/** Pure: the exposition text for these OpsRequests and databases at `now` (ms). */
export function renderStateMetrics(opsRequests: StateObject[], databases: StateObject[], now: number, defaultTimeout = '10m'): string {
  const byPhase: Family = { name: 'opsflow_opsrequests', help: 'OpsRequests by kind and phase (Pending and WaitingForApproval are queued)', samples: [] };
  const stepAge: Family = { name: 'opsflow_opsrequest_step_running_seconds', help: 'How long the running step of an open OpsRequest has been running', samples: [] };
  const timeout: Family = { name: 'opsflow_opsrequest_step_timeout_seconds', help: 'spec.timeout of an open OpsRequest: the bound on each of its steps', samples: [] };
  const paused: Family = { name: 'opsflow_database_paused', help: '1 when the database is paused for an operation (condition Paused=True)', samples: [] };
  const open: Family = { name: 'opsflow_database_open_opsrequests', help: 'OpsRequests of the database that have not ended', samples: [] };

  const count = new Map<string, number>();
  for (const k of Object.keys(DATABASE_OF)) for (const p of OPS_PHASES) count.set(`${k}/${p}`, 0);
  const openByDb = new Map<string, number>();
  for (const o of opsRequests) {
    const phase = o.status?.phase ?? 'Pending';
    count.set(`${o.kind}/${phase}`, (count.get(`${o.kind}/${phase}`) ?? 0) + 1);
    if (TERMINAL.has(phase)) continue;
    const ns = o.metadata.namespace ?? '';
    const db = o.spec?.databaseRef?.name ?? o.spec?.proxyRef?.name ?? '';
    const dbKey = `${DATABASE_OF[o.kind] ?? ''}/${ns}/${db}`;
    openByDb.set(dbKey, (openByDb.get(dbKey) ?? 0) + 1);
    const id = { kind: o.kind, namespace: ns, name: o.metadata.name ?? '' };
    timeout.samples.push([id, durationSeconds(o.spec?.timeout ?? defaultTimeout)]);
    const running = o.status?.conditions?.find((c) => c.reason === 'Running' && c.status === 'Unknown');
    if (running?.lastTransitionTime) stepAge.samples.push([{ ...id, step: running.type }, Math.max(0, (now - Date.parse(running.lastTransitionTime)) / 1000)]);
  }
  for (const [key, n] of count) {
    const [kind = '', phase = ''] = key.split('/');
    byPhase.samples.push([{ kind, phase }, n]);
  }
  for (const d of databases) {
    const id = { kind: d.kind, namespace: d.metadata.namespace ?? '', database: d.metadata.name ?? '' };
    const isPaused = d.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True') ?? false;
    paused.samples.push([id, isPaused ? 1 : 0]);
    open.samples.push([id, openByDb.get(`${id.kind}/${id.namespace}/${id.database}`) ?? 0]);
  }
  return [byPhase, stepAge, timeout, paused, open].map((f) => [
    `# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`,
    ...f.samples.map(([l, v]) => `${f.name}${labels(l)} ${Number.isInteger(v) ? v : v.toFixed(3)}`),
  ].join('\n')).join('\n') + '\n';
}
