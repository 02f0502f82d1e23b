// The dry run behind `opsflow plan`: the operation's own Validate activity called directly
// (read-only), and the step list the workflow will declare (src/workflows/operations.ts), for
// every operation the registry names.
import { createActivities } from '../../activities/index.ts';
import { workflowTypeFor } from '../../api/registry.ts';
import { createLogger } from '../../logger.ts';
import { opsInputFrom } from '../../temporal/input.ts';
import { operationViews, type OperationName, type OperationView } from '../../workflows/operations.ts';
import type { Judgement } from '../../workflows/run-operation.ts';
import { fullSteps } from '../../workflows/plans.ts';
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
  const name = workflowTypeFor(o.kind, o.spec.type) as OperationName | undefined;
  if (!name || !(name in operationViews)) throw new CliError(`spec.type: no dry run for ${o.kind} ${o.spec.type} yet`, EXIT.usage);
  const view = operationViews[name] as OperationView<unknown>;
  const acts = createActivities({ kube: ctx.kube, log: createLogger({ component: 'cli' }, 'error'), config: ctx.config });
  const r = await (acts[view.validate] as (i: typeof input) => Promise<Judgement<unknown>>)(input);
  if (r.outcome !== 'Proceed') return { outcome: r.outcome, summary: r.reason, steps: [], pods: [] };
  const primary = view.primary?.(r.plan);
  return { outcome: 'Proceed', summary: view.describe(r.plan), steps: fullSteps(input.spec, view.steps(r.plan, input.spec)), pods: view.pods(r.plan), ...(primary ? { primary } : {}) };
}
