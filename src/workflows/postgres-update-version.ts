// Postgres UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → update
// the StatefulSet → roll Pods one at a time with sync checks → record the version → resume.
// Resume runs on every exit path; a major upgrade that fails on the primary is rolled back.
import type { UpdatePlan } from '../activities/validate.ts';
import { rollPostgresPod } from './postgres-steps.ts';
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
      }), (rev) => `image ${plan.targetImage}, revision ${rev}`);
      const rolled: string[] = [];
      for (const pod of plan.pods) {
        rolled.push(pod);
        // Minor: every standby must stream before the next Pod. Major: the standbys not yet rolled
        // still run the old major and cannot stream, so only the rolled ones are checked.
        await rollPostgresPod(ops, plan.statefulSet, pod, { standbys: plan.major ? rolled.filter((p) => p !== plan.primary) : undefined });
        if (pod === plan.primary) primaryRolled = true;
        if (plan.major && pod === plan.primary) await t.mark('CopiedOldBinaries', 'Succeeded', `${plan.currentVersion} bin and lib copied by the init container; pg_upgrade done on ${pod}`);
      }
      await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
    },
    onFailure: async ({ t, short, long }, plan) => {
      if (!plan.major || primaryRolled) return;
      // pg_upgrade did not complete: the old data directory is intact, so bring the primary back on the old version.
      await t.step('RollbackStatefulSet', async () => {
        await short.updateStatefulSet({ namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.currentImage, initContainers: [] });
        await long.rollPod(input.namespace, plan.statefulSet, plan.primary);
        return `back on ${plan.currentImage}`;
      });
    },
    success: (plan) => `${plan.database} runs ${plan.targetVersion}`,
  });
}
