// Postgres UpdateVersion: validate (no change) → wait for its turn → pause (handshake) → update
// the StatefulSet → roll Pods one at a time with sync checks → record the version → resume.
// Resume runs on every exit path; a major upgrade that fails on the primary is rolled back.
import { CancellationScope, isCancellation, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DbRef } from '../activities/database.ts';
import { databaseNameOf, type OpsInput, type OpsResult } from './shared.ts';
import { errorMessage, Tracker } from './tracker.ts';

const COPY_SCRIPT = '/opt/opsflow/scripts/copy-old-binaries.sh';

function options(input: OpsInput, long: boolean): ActivityOptions {
  const attempts = (input.spec.maxRetries ?? 5) + 1;
  const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: attempts };
  return long
    ? { startToCloseTimeout: input.spec.timeout ?? '10m', heartbeatTimeout: '30s', retry }
    : { startToCloseTimeout: '1m', retry };
}

export async function postgresUpdateVersion(input: OpsInput): Promise<OpsResult> {
  const short = proxyActivities<Activities>(options(input, false));
  const long = proxyActivities<Activities>(options(input, true));
  const opsRef = { kind: input.kind, namespace: input.namespace, name: input.name, uid: input.uid };
  const requester = `${input.kind}/${input.name}`;
  const dbRef: DbRef = { kind: 'Postgres', namespace: input.namespace, name: databaseNameOf(input) };
  const t = new Tracker((p) => short.recordProgress(opsRef, p));
  const finish = async (phase: OpsResult['phase'], message: string): Promise<OpsResult> => {
    await t.setPhase(phase, message);
    return { phase, message };
  };

  await t.setPhase('Pending', 'validating the request');
  const v = await t.step('Validate', () => short.validatePostgresUpdateVersion(input),
    (r) => (r.outcome === 'Proceed' ? `${r.plan.currentVersion} → ${r.plan.targetVersion}${r.plan.major ? ' (major)' : ''}` : r.reason));
  if (v.outcome !== 'Proceed') return finish(v.outcome, v.reason);
  const plan = v.plan;
  const rolls = plan.pods.map((p) => `RestartPod-${p}`);
  t.plan(['WaitForTurn', 'PauseDatabase', 'UpdateStatefulSet', ...(plan.major ? [rolls[0] ?? '', 'CopiedOldBinaries', ...rolls.slice(1)] : rolls), 'UpdateDatabase', 'ResumeDatabase']);

  await t.step('WaitForTurn', () => long.waitForTurn(input.kind, dbRef, opsRef),
    (w) => (w.length ? `waited for ${w.join(', ')}` : 'no other operation on this database'));
  if ((input.spec.apply ?? 'IfReady') === 'IfReady') {
    try {
      await t.step('DatabaseReady', () => long.checkDatabaseReady(dbRef, false), () => `${dbRef.name} is Ready`);
    } catch (e) {
      return finish('Failed', `${dbRef.name} did not become Ready (spec.apply is IfReady): ${errorMessage(e)}`);
    }
  }
  await t.setPhase('Progressing', `updating ${dbRef.name} from ${plan.currentVersion} to ${plan.targetVersion}`);

  let failure: unknown;
  let primaryRolled = false;
  try {
    await t.step('PauseDatabase', () => long.pauseDatabase(dbRef, requester), () => 'the provisioner acknowledged the pause');
    const initContainers = plan.major ? [{
      name: 'copy-old-binaries', image: plan.currentImage, command: ['bash', COPY_SCRIPT],
      env: [{ name: 'DATA_DIR', value: '/var/pv' }],
      volumeMounts: [{ name: 'data', mountPath: '/var/pv' }, { name: 'scripts', mountPath: '/opt/opsflow/scripts', readOnly: true }],
    }] : [];
    await t.step('UpdateStatefulSet', () => short.updateStatefulSet({
      namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.targetImage, initContainers,
    }), (rev) => `image ${plan.targetImage}, revision ${rev}`);
    const rolled: string[] = [];
    for (const pod of plan.pods) {
      await t.step(`RestartPod-${pod}`, async () => {
        const r = await long.rollPod(input.namespace, plan.statefulSet, pod);
        if (pod === plan.primary) primaryRolled = true;
        rolled.push(pod);
        // Minor: every standby must stream before the next Pod. Major: the standbys not yet
        // rolled still run the old major and cannot stream, so only the rolled ones are checked.
        const sync = await long.checkPostgresSync(input.namespace, dbRef.name, undefined, plan.major ? rolled.filter((p) => p !== plan.primary) : undefined);
        return `${r.replaced ? `replaced in ${r.seconds.toFixed(1)} s` : 'already on the new revision'}; ${sync}`;
      });
      if (plan.major && pod === plan.primary) await t.mark('CopiedOldBinaries', 'Succeeded', `${plan.currentVersion} bin and lib copied by the init container; pg_upgrade done on ${pod}`);
    }
    await t.step('UpdateDatabase', () => short.setDatabaseVersion(dbRef, plan.targetVersion), () => `spec.version = ${plan.targetVersion}`);
  } catch (e) {
    failure = e;
    if (plan.major && !primaryRolled && !isCancellation(e)) {
      // pg_upgrade did not complete: the old data directory is intact, so bring the primary back on the old version.
      await CancellationScope.nonCancellable(() => t.step('RollbackStatefulSet', async () => {
        await short.updateStatefulSet({ namespace: input.namespace, statefulSet: plan.statefulSet, container: 'postgres', image: plan.currentImage, initContainers: [] });
        await long.rollPod(input.namespace, plan.statefulSet, plan.primary);
        return `back on ${plan.currentImage}`;
      })).catch(() => undefined);
    }
  } finally {
    await CancellationScope.nonCancellable(() => t.step('ResumeDatabase', () => long.resumeDatabase(dbRef, requester), () => 'the provisioner manages the database again'));
  }
  if (failure !== undefined) {
    const message = isCancellation(failure) ? 'cancelled (the OpsRequest was deleted or the run was cancelled); the database is resumed' : errorMessage(failure);
    await CancellationScope.nonCancellable(() => finish('Failed', message));
    if (isCancellation(failure)) throw failure;
    return { phase: 'Failed', message };
  }
  return finish('Successful', `${dbRef.name} runs ${plan.targetVersion}`);
}
