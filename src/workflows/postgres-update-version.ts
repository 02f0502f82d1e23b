// Postgres UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → update
// the StatefulSet → roll Pods one at a time with sync checks → record the version → resume.
// Resume runs on every exit path. What the template runs is recorded (status.applied) whenever it
// changes, so after a failure the provisioner renders what the Pods run. A failed major upgrade is
// rolled back only when the primary's volume shows the old cluster intact (rollbackMajor).
import { patched } from '@temporalio/workflow';
import type { UpdatePlan } from '../activities/validate.ts';
import { majorOf } from '../api/semver.ts';
import { decideRollback } from '../engines/postgres/upgrade-state.ts';
import type { OpsContext } from './ops-steps.ts';
import { rollPostgresMembers, rollPostgresPod } from './postgres-steps.ts';
import { copyOldBinariesInitContainer } from '../engines/postgres/container.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function postgresUpdateVersion(input: OpsInput): Promise<OpsResult> {
  let primaryRolled = false;
  return runOperation<UpdatePlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresUpdateVersion,
    progressing: (plan) => `updating ${plan.database} from ${plan.currentVersion} to ${plan.targetVersion}`,
    body: async (ops, plan) => {
      const { t, short, dbRef } = ops;
      const initContainers = plan.major ? [copyOldBinariesInitContainer(plan.currentImage)] : [];
      await t.step('UpdateStatefulSet', () => short.updateStatefulSet({
        namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.targetImage, initContainers,
        applied: { database: dbRef, version: plan.targetVersion },
      }), (rev) => `image ${plan.targetImage}, revision ${rev}`);
      const rolled: string[] = [];
      // Minor: standbys, then a switchover (or the primary's restart), see rollPostgresMembers.
      if (!plan.major) await rollPostgresMembers(ops, plan);
      else for (const pod of plan.pods) {
        rolled.push(pod);
        // Minor: every standby must stream before the next Pod. Major: the standbys not yet rolled
        // still run the old major and cannot stream, so only the rolled ones are checked.
        await rollPostgresPod(ops, plan.statefulSet, pod, { standbys: plan.major ? rolled.filter((p) => p !== plan.primary) : undefined });
        if (pod === plan.primary) primaryRolled = true;
        if (plan.major && pod === plan.primary) await t.mark('CopiedOldBinaries', 'Succeeded', `${plan.currentVersion} bin and lib copied by the init container; pg_upgrade done on ${pod}`);
      }
      await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
    },
    onFailure: async (ops, plan) => {
      if (!plan.major) return; // a minor update keeps the template on the target (recorded): a retry finishes it
      if (patched('rollback-from-volume-state')) return rollbackMajor(ops, plan);
      if (primaryRolled) return;
      // pg_upgrade did not complete: the old data directory is intact, so bring the primary back on the old version.
      await ops.t.step('RollbackStatefulSet', async () => {
        await ops.short.updateStatefulSet({ namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.currentImage, initContainers: [] });
        await ops.long.rollPod(input.namespace, plan.statefulSet, plan.primary);
        return `back on ${plan.currentImage}`;
      });
    },
    success: (plan) => `${plan.database} runs ${plan.targetVersion}`,
  });
}

/**
 * After a failed major upgrade: what pg_upgrade did on the primary's volume (its marker, the
 * server's own answer) decides, never the step's outcome. Rolled back only with the old cluster
 * intact; kept when the upgrade finished (the standbys re-clone on a retry); otherwise nothing is
 * started and the reason joins the failure message.
 */
async function rollbackMajor(ops: OpsContext, plan: UpdatePlan): Promise<void> {
  const { t, short, long, input, dbRef } = ops;
  const from = majorOf(plan.currentVersion);
  const to = majorOf(plan.targetVersion);
  const verdict = await t.step('RollbackDecision', async () => {
    const evidence = await short.postgresUpgradeEvidence(input.namespace, dbRef.name, plan.primary);
    return decideRollback(evidence, from, to, plan.currentImage, plan.targetImage);
  }, (v) => `${v.action}: ${v.reason}`);
  if (verdict.action === 'Refuse') throw new Error(verdict.reason);
  if (verdict.action === 'KeepUpgrade') return;
  await t.step('RollbackStatefulSet', async () => {
    await short.updateStatefulSet({
      namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.currentImage, initContainers: [],
      applied: { database: dbRef, version: plan.currentVersion },
    });
    await long.rollPod(input.namespace, plan.statefulSet, plan.primary);
    return `back on ${plan.currentImage}`;
  });
}
