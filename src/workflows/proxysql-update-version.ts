// ProxySQL UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → update the
// StatefulSet image → roll members one at a time (highest ordinal first), each followed by a check
// that the member reports the target version and all members' config checksums agree → record the
// version → resume (on every exit path).
import type { ProxySQLUpdatePlan } from '../activities/proxysql-validate.ts';
import { rollPodStep } from './ops-steps.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

export function proxysqlUpdateVersion(input: OpsInput): Promise<OpsResult> {
  return runOperation<ProxySQLUpdatePlan>(input, {
    database: 'ProxySQL',
    view: operationViews.proxysqlUpdateVersion,
    progressing: (plan) => `updating ${plan.database} from ${plan.currentVersion} to ${plan.targetVersion}`,
    body: async (ops, plan) => {
      const { t, short, long, dbRef } = ops;
      await t.step('UpdateStatefulSet', () => short.updateStatefulSet({
        namespace: input.namespace, statefulSet: plan.statefulSet, container: 'proxysql', image: plan.targetImage, initContainers: [],
      }), (rev) => `image ${plan.targetImage}, revision ${rev}`);
      for (const pod of plan.pods) {
        await rollPodStep(ops, plan.statefulSet, pod, () => long.checkProxySQLMember(input.namespace, dbRef.name, pod, plan.targetVersion));
      }
      await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
    },
    success: (plan) => `${plan.database} runs ${plan.targetVersion}`,
  });
}
