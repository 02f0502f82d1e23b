// The dry run behind `opsflow plan`: the validate activities' own planning code, called directly
// (read-only), and the step list the workflow will declare.
import { validateActivities } from '../../activities/validate.ts';
import { createLogger } from '../../logger.ts';
import { opsInputFrom } from '../../temporal/input.ts';
import { fullSteps, postgresRestartSteps, postgresUpdateVersionSteps, withSwitchover } from '../../workflows/plans.ts';
import type { Ctx } from './context.ts';
import { CliError, EXIT } from './errors.ts';
import type { OpsObject } from './refs.ts';

export interface DryRun {
  outcome: 'Proceed' | 'Failed' | 'Skipped';
  summary: string;
  steps: string[];
  /** Pods in the order they would be rolled. */
  pods: string[];
  primary?: string;
}

export async function dryRun(ctx: Ctx, o: OpsObject): Promise<DryRun> {
  const input = opsInputFrom(o.kind, { ...o, metadata: { ...o.metadata, namespace: ctx.namespace, uid: '' } });
  const v = validateActivities({ kube: ctx.kube, log: createLogger({ component: 'cli' }, 'error'), config: ctx.config });
  const key = `${o.kind}/${o.spec.type}`;
  if (key === 'PostgresOpsRequest/UpdateVersion') {
    const r = await v.validatePostgresUpdateVersion(input);
    if (r.outcome !== 'Proceed') return { outcome: r.outcome, summary: r.reason, steps: [], pods: [] };
    const p = r.plan;
    return {
      outcome: 'Proceed',
      summary: `update ${p.database} from ${p.currentVersion} to ${p.targetVersion}${p.major ? ' (major: pg_upgrade on the primary first, then the standbys re-cloned)' : ' (minor: standbys first, the primary last)'}; image ${p.targetImage}`,
      steps: fullSteps(input.spec, withSwitchover(postgresUpdateVersionSteps(p), input.spec, p)),
      pods: p.pods,
      primary: p.primary,
    };
  }
  if (key === 'PostgresOpsRequest/Restart') {
    const r = await v.validatePostgresRestart(input);
    if (r.outcome !== 'Proceed') return { outcome: r.outcome, summary: r.reason, steps: [], pods: [] };
    return { outcome: 'Proceed', summary: `restart ${r.plan.database}, standbys first, the primary last`, steps: fullSteps(input.spec, withSwitchover(postgresRestartSteps(r.plan), input.spec, r.plan)), pods: r.plan.pods, primary: r.plan.primary };
  }
  throw new CliError(`spec.type: no dry run for ${o.kind} ${o.spec.type} yet`, EXIT.usage);
}
