// SingleStore UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → the new
// image on both StatefulSets → roll the leaves one at a time, then the child aggregators, the master
// aggregator last, each followed by the cluster check through the master → record the version → resume.
import type { SdbUpdatePlan } from '../activities/singlestore-validate.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';
import { rollSingleStorePod } from './singlestore-steps.ts';

export function singlestoreUpdateVersion(input: OpsInput): Promise<OpsResult> {
  return runOperation<SdbUpdatePlan>(input, {
    database: 'SingleStore',
    view: operationViews.singlestoreUpdateVersion,
    progressing: (plan) => `updating ${plan.database} from ${plan.currentVersion} to ${plan.targetVersion}`,
    body: async (ops, plan) => {
      const { t, short, dbRef } = ops;
      await t.step('UpdateStatefulSets', async () => {
        const revisions: string[] = [];
        for (const sts of plan.statefulSets) {
          const rev = await short.updateStatefulSet({ namespace: input.namespace, statefulSet: sts, container: 'singlestore', image: plan.targetImage, initContainers: [] });
          revisions.push(`${sts} ${rev}`);
        }
        return `image ${plan.targetImage}; revisions ${revisions.join(', ')}`;
      });
      for (const p of plan.pods) await rollSingleStorePod(ops, p.statefulSet, p.pod, { version: plan.targetVersion });
      await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
    },
    success: (plan) => `${plan.database} runs ${plan.targetVersion}`,
  });
}
