// Human output (pure): the status of one run with its steps, durations and a Pod progress bar, and
// the table of `opsflow list`.
import type { Progress, Step } from '../../workflows/shared.ts';
import { databaseOf, dbKindOfOps, type OpsObject } from './refs.ts';

const marks: Record<Step['state'], string> = { Pending: '[ ]', Running: '[>]', Succeeded: '[x]', Failed: '[!]', Skipped: '[-]' };

export function duration(s: Step, now: number): string {
  if (!s.startedAt) return '';
  const end = s.finishedAt ? Date.parse(s.finishedAt) : now;
  const sec = Math.max(0, (end - Date.parse(s.startedAt)) / 1000);
  return sec < 60 ? `${sec.toFixed(1)}s` : `${Math.floor(sec / 60)}m${Math.round(sec % 60)}s`;
}

export function bar(done: number, total: number, width = 20): string {
  const n = total ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${done}/${total}`;
}

/** Pods rolled so far (RestartPod-* steps finished) out of the planned ones. */
export function podProgress(p: Progress): { done: number; total: number } {
  const rolls = p.steps.filter((s) => s.name.startsWith('RestartPod-'));
  return { done: rolls.filter((s) => s.state === 'Succeeded' || s.state === 'Skipped').length, total: rolls.length };
}

export function describeTarget(o: OpsObject): string {
  const to = o.spec.updateVersion ? ` -> ${o.spec.updateVersion.targetVersion}` : '';
  return `${o.spec.type} ${dbKindOfOps(o.kind).toLowerCase()}/${databaseOf(o)}${to}`;
}

export function stepLine(s: Step, now: number, width: number): string {
  return `  ${marks[s.state]} ${s.name.padEnd(width)} ${duration(s, now).padStart(7)}  ${s.message ?? ''}`.trimEnd();
}

export function renderStatus(o: OpsObject, p: Progress, source: string, now = Date.now()): string {
  const width = Math.max(12, ...p.steps.map((s) => s.name.length));
  const lines = [
    `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${describeTarget(o)}`,
    `Phase:    ${p.phase}${p.message ? ` - ${p.message}` : ''}`,
  ];
  if (o.spec.approval === 'Required') lines.push(`Approval: Required${o.metadata.annotations?.['opsflow.dev/approved-by'] ? ` (approved by ${o.metadata.annotations['opsflow.dev/approved-by']})` : ''}`);
  if (o.status?.workflow?.url) lines.push(`Web UI:   ${o.status.workflow.url}`);
  lines.push(`Steps (from the ${source === 'workflow' ? 'workflow' : 'OpsRequest conditions; the worker did not answer'}):`);
  for (const s of p.steps) lines.push(stepLine(s, now, width));
  const pods = podProgress(p);
  if (pods.total && p.phase === 'Progressing') lines.push(`Pods:     ${bar(pods.done, pods.total)}`);
  return lines.join('\n');
}

function age(created: string | undefined, now: number): string {
  if (!created) return '';
  const s = Math.max(0, Math.round((now - Date.parse(created)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
}

export function renderTable(rows: OpsObject[], now = Date.now()): string {
  const cells = [['NAMESPACE', 'NAME', 'KIND', 'TYPE', 'DATABASE', 'PHASE', 'AGE']];
  for (const o of rows) {
    cells.push([o.metadata.namespace, o.metadata.name, o.kind, o.spec.type, databaseOf(o), o.status?.phase ?? 'Pending', age(o.metadata.creationTimestamp, now)]);
  }
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
