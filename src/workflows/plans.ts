// The steps of each ops workflow as declared up front (pure), shared by the workflows (their
// progress plan) and `opsflow plan` (the dry run prints the same list).
import type { RestartPlan, UpdatePlan } from '../activities/validate.ts';
import type { OpsInput } from './shared.ts';

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
