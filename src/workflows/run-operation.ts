// The one skeleton every operation runs through: check the input → Validate (reads only) → the
// plan → admission (approval, its turn, readiness) → judged again against the database as it is
// now → an optional read-only check → pause → the operation's body → resume → the final phase.
// The guarantees live here, once: every path ends in a final phase (a failed validation after its
// retries, a cancel while queued, a failed resume or status write included), the database is
// resumed on every exit path, and nothing changes before the last judgement.
import { isCancellation, patched } from '@temporalio/workflow';
import type { DbRef } from '../activities/database.ts';
import { timeoutProblem } from '../api/duration.ts';
import { admit, conclude, opsContext, whilePaused, type OpsContext } from './ops-steps.ts';
import type { OperationView } from './operations.ts';
import type { OpsInput, OpsResult } from './shared.ts';
import { errorMessage } from './tracker.ts';

/** What a Validate activity returns: a plan to carry out, or a final verdict (nothing changed). */
export type Judgement<P> = { outcome: 'Proceed'; plan: P } | { outcome: 'Failed' | 'Skipped'; reason: string };

export interface Operation<P> {
  /** The database kind the operation acts on. */
  database: DbRef['kind'];
  /** How it is judged (the Validate activity, reads only), how its plan reads, its steps: shared with `opsflow plan`. */
  view: OperationView<P>;
  /** The phase message while it runs. */
  progressing: (plan: P) => string;
  /** A read-only check once it is this request's turn, before the pause; a string refuses the request. */
  beforePause?: (ops: OpsContext, plan: P) => Promise<string | undefined>;
  /** The changes, while the database is paused. */
  body: (ops: OpsContext, plan: P) => Promise<void>;
  /** Runs (not cancellable) before Resume when the body failed for another reason than a cancel. */
  onFailure?: (ops: OpsContext, plan: P) => Promise<void>;
  /** The Successful message. */
  success: (plan: P) => string;
}

async function judge<P>(ops: OpsContext, op: Operation<P>, step: string): Promise<Judgement<P>> {
  const validate = ops.short[op.view.validate] as (input: OpsInput) => Promise<Judgement<P>>;
  return ops.t.step(step, () => validate(ops.input), (r) => (r.outcome === 'Proceed' ? op.view.describe(r.plan) : r.reason));
}

export async function runOperation<P>(input: OpsInput, op: Operation<P>): Promise<OpsResult> {
  const ops = opsContext(input, op.database);
  const { t } = ops;
  try {
    // The CRD refuses these already; a run started some other way is refused here, before anything.
    const badTimeout = input.spec.timeout === undefined ? undefined : timeoutProblem(input.spec.timeout);
    if (badTimeout && patched('timeout-bounds')) return await ops.finish('Failed', `spec.timeout: ${badTimeout}; nothing was changed`);
    await t.setPhase('Pending', 'validating the request');
    let verdict = await judge(ops, op, 'Validate');
    if (verdict.outcome !== 'Proceed') return await ops.finish(verdict.outcome, verdict.reason);
    t.plan(op.view.steps(verdict.plan, input.spec));

    const refused = await admit(ops);
    if (refused) return refused;
    // The plan was made before this request's turn: what ran before it (another Reconfigure, a
    // major upgrade, a restart) may have changed what it acts on. Judge it again, still changing nothing.
    if (patched('judge-after-turn')) {
      t.planNext('Revalidate');
      verdict = await judge(ops, op, 'Revalidate');
      if (verdict.outcome !== 'Proceed') return await ops.finish(verdict.outcome, `${verdict.reason} (judged again once it was this request's turn; nothing was changed)`);
      t.replan(op.view.steps(verdict.plan, input.spec));
    }
    const plan = verdict.plan;
    if (op.beforePause) {
      const problem = await op.beforePause(ops, plan);
      if (problem) return await ops.finish('Failed', problem);
    }

    await t.setPhase('Progressing', op.progressing(plan));
    const failure = await whilePaused(ops, () => op.body(ops, plan), op.onFailure && (() => op.onFailure?.(ops, plan) ?? Promise.resolve()));
    return await conclude(ops, failure, op.success(plan));
  } catch (e) {
    // Before the pause (or a cancel re-thrown by conclude): nothing was changed, or the failure is
    // already recorded. Either way the OpsRequest gets a final phase.
    const cancelled = isCancellation(e);
    await ops.finishNonCancellable('Failed', cancelled
      ? 'cancelled (the OpsRequest was deleted or the run was cancelled) before any change; nothing was changed'
      : `${errorMessage(e)}; nothing was changed`);
    if (cancelled) throw e;
    return ops.finished ?? { phase: 'Failed', message: errorMessage(e) };
  }
}
