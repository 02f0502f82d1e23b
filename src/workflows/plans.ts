// The steps of each ops workflow as declared up front (pure), shared by the workflows (their
// progress plan) and `opsflow plan` (the dry run prints the same list).
import type { RestartPlan, UpdatePlan } from '../activities/validate.ts';
import { planPrimaryUpdate } from '../engines/postgres/plan.ts';
import type { OpsInput } from './shared.ts';

/** The Switchover step before the old primary's RestartPod, when the rolling uses one (not for a major upgrade). */
export function withSwitchover(steps: string[], spec: OpsInput['spec'], plan: { primary: string; pods: string[]; major?: boolean }): string[] {
  if (plan.major) return steps;
  const u = planPrimaryUpdate(plan.pods, plan.primary, spec.primaryUpdateMethod, spec.preferredPrimary);
  if (!('method' in u) || u.method !== 'Switchover') return steps;
  const i = steps.indexOf(`RestartPod-${plan.primary}`);
  return i < 0 ? steps : [...steps.slice(0, i), 'Switchover', ...steps.slice(i)];
}

export function postgresUpdateVersionSteps(plan: UpdatePlan): string[] {
  const rolls = plan.pods.map((p) => `RestartPod-${p}`);
  return ['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSet', ...(plan.major ? [rolls[0] ?? '', 'CopiedOldBinaries', ...rolls.slice(1)] : rolls), 'UpdateDatabase', 'ResumeDatabase'];
}

export function postgresRestartSteps(plan: RestartPlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...plan.pods.map((p) => `RestartPod-${p}`), 'ResumeDatabase'];
}

/** The whole run as a dry run shows it: Validate, the admission steps the spec asks for, then the plan. */
export function fullSteps(spec: OpsInput['spec'], planned: string[]): string[] {
  const out = ['Validate'];
  for (const s of planned) {
    if (s === 'WaitForTurn' && spec.approval === 'Required') out.push('Approval');
    out.push(s);
    if (s === 'WaitForTurn' && (spec.apply ?? 'IfReady') === 'IfReady') out.push('DatabaseReady');
  }
  return out;
}
