// Postgres VolumeExpansion: judged (a quantity, no shrink, every claim's StorageClass allows
// expansion) → its turn → pause → each member's data claim grows: Online under the running Pod;
// Offline with the Pod stopped, standbys first, then a switchover (spec.primaryUpdateMethod) and the
// old primary → the StatefulSet gets the new claim size (orphan delete, created again: new members
// get it too) → spec.storage records it → resume. A failure leaves StatefulSet and spec.storage
// agreeing, and never shrinks a claim back.
import type { StatefulSetManifest, VolumeExpansionPlan } from '../activities/volume-expansion.ts';
import { planPrimaryUpdate } from '../engines/postgres/plan.ts';
import { countPodRolled } from './metrics.ts';
import type { OpsContext } from './ops-steps.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';

async function growOffline(ops: OpsContext, plan: VolumeExpansionPlan, manifest: StatefulSetManifest): Promise<void> {
  const { t, long, input, dbRef } = ops;
  const ns = input.namespace;
  const update = planPrimaryUpdate(plan.pods, plan.primary, input.spec.primaryUpdateMethod, input.spec.preferredPrimary);
  const target = 'method' in update && update.method === 'Switchover' ? update.target : undefined;
  for (const pod of plan.pods) {
    const claim = plan.claims[pod] ?? `data-${pod}`;
    if (pod === plan.primary && target) {
      await t.step('Switchover', () => ops.critical.switchoverPostgres(ns, dbRef.name, plan.primary, target), () => `${target} is the primary; ${plan.primary} rejoins as a standby`);
      countPodRolled(ops.metricTags);
    }
    await t.step(`ExpandVolume-${pod}`, async () => {
      const stop = await long.growClaimOffline(manifest, pod, claim, plan.size);
      const r = await long.rollPod(ns, plan.statefulSet, pod, stop.stoppedUid ?? plan.uids[pod]);
      if (r.replaced) countPodRolled(ops.metricTags);
      const capacity = await long.waitClaimCapacity(ns, claim, plan.size);
      const sync = await long.checkPostgresSync(ns, dbRef.name);
      return `${pod} stopped while ${claim} grew to ${capacity}, started again${r.seconds ? ` (${r.seconds.toFixed(1)} s)` : ''}; ${sync}`;
    });
  }
}

export function postgresVolumeExpansion(input: OpsInput): Promise<OpsResult> {
  let manifest: StatefulSetManifest | undefined;
  return runOperation<VolumeExpansionPlan>(input, {
    database: 'Postgres',
    view: operationViews.postgresVolumeExpansion,
    progressing: (plan) => `expanding the volumes of ${plan.database} to ${plan.size} (${plan.mode})`,
    body: async (ops, plan) => {
      const { t, short, long, dbRef } = ops;
      // Read once, while paused: the StatefulSet to create again, carried in the history.
      manifest = await short.readStatefulSetManifest(input.namespace, plan.statefulSet);
      const m = manifest;
      if (plan.mode === 'Online') {
        for (const pod of plan.pods) {
          const claim = plan.claims[pod] ?? `data-${pod}`;
          await t.step(`ExpandVolume-${pod}`, () => long.growClaimOnline(input.namespace, claim, plan.size),
            (r) => (r.already ? `${claim} has ${plan.size} already` : `${claim} grew to ${plan.size} in ${r.seconds.toFixed(1)} s under the running Pod`));
        }
      } else {
        await growOffline(ops, plan, m);
      }
      await t.step('UpdateStatefulSet', () => long.recreateStatefulSet(m, plan.size),
        (r) => (r === 'kept' ? `the StatefulSet's data claims are ${plan.size} already` : `StatefulSet deleted with the orphan cascade and created again with data claims of ${plan.size}`));
      await t.step('UpdateDatabase', () => short.recordStorageSize(dbRef, plan.size), () => `spec.storage.resources.requests.storage: ${plan.size}`);
    },
    onFailure: async (ops, plan) => {
      if (manifest) await ops.persistent.settleVolumeExpansion(manifest, Object.values(plan.claims), plan.size, ops.dbRef);
    },
    success: (plan) => `${plan.database}: ${plan.pods.length} volume(s) expanded from ${plan.current} to ${plan.size} (${plan.mode})`,
  });
}
