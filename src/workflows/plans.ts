// The steps of each operation as declared up front (pure): one function per operation, used by its
// workflow (the progress plan), by `opsflow plan` (the dry run prints the same list) and by the
// progress display. Each starts at WaitForTurn; fullSteps adds what comes before.
import type { ReconfigurePlan } from '../activities/postgres-config.ts';
import type { ProxySQLReconfigurePlan, ProxySQLUpdatePlan } from '../activities/proxysql-validate.ts';
import type { SdbReconfigurePlan, SdbRoleReconfigure, SdbUpdatePlan } from '../activities/singlestore-validate.ts';
import type { RestartPlan, UpdatePlan } from '../activities/validate.ts';
import type { PostgresScalePlan, ProxySQLScalePlan, SingleStoreScalePlan } from '../activities/horizontal-scaling.ts';
import type { ScaleChange } from '../engines/horizontal-scaling.ts';
import type { VolumeExpansionPlan } from '../activities/volume-expansion.ts';
import type { ProxySQLRestartPlan, SdbRestartPlan } from '../activities/restart-validate.ts';
import type { PgVerticalScalingPlan, ProxySQLVerticalScalingPlan, SdbVerticalScalingPlan } from '../activities/vertical-scaling.ts';
import type { RotateAuthPlan } from '../activities/postgres-auth.ts';
import { planPrimaryUpdate } from '../engines/postgres/plan.ts';
import type { OpsInput } from './shared.ts';

const restartPods = (pods: string[]) => pods.map((p) => `RestartPod-${p}`);

/** The Switchover step before the old primary's RestartPod, when the rolling uses one (not for a major upgrade). */
export function withSwitchover(steps: string[], spec: OpsInput['spec'], plan: { primary: string; pods: string[]; major?: boolean }, prefix = 'RestartPod-'): string[] {
  if (plan.major) return steps;
  const u = planPrimaryUpdate(plan.pods, plan.primary, spec.primaryUpdateMethod, spec.preferredPrimary);
  if (!('method' in u) || u.method !== 'Switchover') return steps;
  const i = steps.indexOf(`${prefix}${plan.primary}`);
  return i < 0 ? steps : [...steps.slice(0, i), 'Switchover', ...steps.slice(i)];
}

export function postgresUpdateVersionSteps(plan: UpdatePlan): string[] {
  const rolls = restartPods(plan.pods);
  return ['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSet', ...(plan.major ? [rolls[0] ?? '', 'CopiedOldBinaries', ...rolls.slice(1)] : rolls), 'UpdateDatabase', 'ResumeDatabase'];
}

export function postgresRestartSteps(plan: RestartPlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...restartPods(plan.pods), 'ResumeDatabase'];
}

export function postgresReconfigureSteps(plan: ReconfigurePlan): string[] {
  const rolls = plan.pods.flatMap((p, i) => (plan.primaryFirst && i === 1 ? ['Checkpoint', `RestartPod-${p}`] : [`RestartPod-${p}`]));
  return ['WaitForTurn', 'PauseDatabase', 'UpdateConfig', ...(plan.action === 'Restart' ? [...rolls, 'CheckSettings'] : ['ReloadConfig']), 'ResumeDatabase'];
}

/** RotateAuth: no Pod restarts; the Secret first (password.prev keeps the old one), then the role, then replication. */
export function postgresRotateAuthSteps(_plan: RotateAuthPlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', 'UpdateSecret', 'UpdateRole', 'UpdateReplicationCredentials', 'CheckReplication', 'ResumeDatabase'];
}

export function singlestoreUpdateVersionSteps(plan: SdbUpdatePlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSets', ...restartPods(plan.pods.map((p) => p.pod)), 'UpdateDatabase', 'ResumeDatabase'];
}

/** A role's Pods roll when restart is true, or auto with a parameter dropped (it can't be unset online). */
export const sdbRoleRolls = (r: Pick<SdbRoleReconfigure, 'restart' | 'dropped'>): boolean => r.restart === 'true' || (r.restart === 'auto' && r.dropped.length > 0);

export function singlestoreReconfigureSteps(plan: SdbReconfigurePlan): string[] {
  return ['WaitForTurn', 'ValidateParameters', 'PauseDatabase', ...plan.roles.flatMap((r) => [
    `PersistConfig-${r.role}`, ...(sdbRoleRolls(r) ? restartPods(r.pods) : [`ApplyConfig-${r.role}`]), `VerifyConfig-${r.role}`,
  ]), 'ResumeDatabase'];
}

export function proxysqlUpdateVersionSteps(plan: ProxySQLUpdatePlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSet', ...restartPods(plan.pods), 'UpdateDatabase', 'ResumeDatabase'];
}

export function proxysqlReconfigureSteps(_plan: ProxySQLReconfigurePlan): string[] {
  return ['WaitForTurn', 'CheckCurrentConfig', 'PauseDatabase', 'ApplyConfiguration', 'VerifyConfiguration', 'ResumeDatabase'];
}

// HorizontalScaling: the StatefulSet's new size, then each member joining (Ready) or gone.
export const memberSteps = (c: ScaleChange, scale = 'ScaleStatefulSet') => [scale, ...c.added.map((p) => `AddMember-${p}`), ...c.removed.map((p) => `RemoveMember-${p}`)];
export function postgresHorizontalScalingSteps(plan: PostgresScalePlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...(plan.switchoverTo ? ['Switchover'] : []), ...memberSteps(plan), ...(plan.removed.length ? ['DropReplicationSlots'] : []), 'CheckSync', 'ResumeDatabase'];
}
/** SingleStore: a member leaves the cluster (REMOVE LEAF / AGGREGATOR) before its Pod goes. */
export function singlestoreHorizontalScalingSteps(plan: SingleStoreScalePlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...plan.changes.flatMap((c) => [...c.removed.map((p) => `LeaveCluster-${p}`), ...memberSteps(c, `ScaleStatefulSet-${c.statefulSet}`)]), 'CheckCluster', 'ResumeDatabase'];
}
export function proxysqlHorizontalScalingSteps(plan: ProxySQLScalePlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...memberSteps(plan), 'CheckCluster', 'ResumeDatabase'];
}

/** VolumeExpansion: each member's claim grows (Offline: its Pod stopped meanwhile), then the StatefulSet and spec.storage. */
export function postgresVolumeExpansionSteps(plan: VolumeExpansionPlan, spec: OpsInput['spec']): string[] {
  const steps = ['WaitForTurn', 'PauseDatabase', ...plan.pods.map((p) => `ExpandVolume-${p}`), 'UpdateStatefulSet', 'UpdateDatabase', 'ResumeDatabase'];
  return plan.mode === 'Offline' ? withSwitchover(steps, spec, plan, 'ExpandVolume-') : steps;
}

export function singlestoreRestartSteps(plan: SdbRestartPlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...restartPods(plan.pods.map((p) => p.pod)), 'ResumeDatabase'];
}

export function proxysqlRestartSteps(plan: ProxySQLRestartPlan): string[] {
  return ['WaitForTurn', 'PauseDatabase', ...restartPods(plan.pods), 'ResumeDatabase'];
}

/** VerticalScaling: each role's new resources (UpdateResources-<role>), then the roll of every Pod of those roles. */
export function verticalScalingSteps(plan: PgVerticalScalingPlan | SdbVerticalScalingPlan | ProxySQLVerticalScalingPlan): string[] {
  const pods = plan.pods.map((p) => (typeof p === 'string' ? p : p.pod));
  return ['WaitForTurn', 'PauseDatabase', ...plan.changes.map((c) => `UpdateResources-${c.role}`), ...restartPods(pods), 'ResumeDatabase'];
}

/**
 * The whole run as a dry run shows it: Validate, the admission steps the spec asks for, the second
 * judgement once it is the request's turn, then the plan.
 */
export function fullSteps(spec: OpsInput['spec'], planned: string[]): string[] {
  const out = ['Validate'];
  for (const s of planned) {
    if (s === 'WaitForTurn' && spec.approval === 'Required') out.push('Approval');
    out.push(s);
    if (s === 'WaitForTurn' && (spec.apply ?? 'IfReady') === 'IfReady') out.push('DatabaseReady');
    if (s === 'WaitForTurn') out.push('Revalidate');
  }
  return out;
}
