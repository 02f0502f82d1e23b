// SingleStore Reconfigure (KubeDB shape: spec.configuration.{aggregator,leaf}): validate the request
// (no change) → wait for its turn → check every parameter against the nodes' SHOW VARIABLES (still no
// change) → pause → per role, leaves first:
// persist the merged custom config in the database spec (so any later restart keeps it) → apply it
// online with SET GLOBAL (restart auto/false) or roll the role's Pods (restart true, a parameter
// dropped, or one that cannot be set online; the master aggregator last) → read it back on every
// node → resume.
import { ApplicationFailure } from '@temporalio/workflow';
import type { SdbReconfigurePlan } from '../activities/singlestore-validate.ts';
import { sdbRoleRolls } from './plans.ts';
import { operationViews } from './operations.ts';
import { runOperation } from './run-operation.ts';
import type { OpsInput, OpsResult } from './shared.ts';
import { rollSingleStorePod } from './singlestore-steps.ts';
import { errorMessage } from './tracker.ts';

const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');

export function singlestoreReconfigure(input: OpsInput): Promise<OpsResult> {
  const notes: string[] = [];
  return runOperation<SdbReconfigurePlan>(input, {
    database: 'SingleStore',
    view: operationViews.singlestoreReconfigure,
    progressing: (plan) => `reconfiguring the ${plan.roles.map((r) => r.role).join(' and ')} nodes of ${plan.database}`,
    // Against the nodes as they are now that it is this request's turn; still before any change.
    beforePause: async ({ t, short, dbRef }, plan) => {
      try {
        await t.step('ValidateParameters', () => short.checkSingleStoreParameters(input.namespace, dbRef.name, plan.roles.map(({ role, pods, params, origin }) => ({ role, pods, params, origin }))));
        return undefined;
      } catch (e) {
        return errorMessage(e);
      }
    },
    body: async (ops, plan) => {
      const { t, short, long, dbRef } = ops;
      for (const r of plan.roles) {
        const saved = await t.step(`PersistConfig-${r.role}`, () => short.persistSingleStoreConfig(input.namespace, dbRef.name, r.role, r.spec),
          (s) => `Secret ${s.secret}: ${Object.keys(s.params).length} parameter(s), changed ${list(s.changed)}, dropped ${list(s.dropped)}; spec.topology.${r.role}.configSecret = ${s.secret}`);
        const dropped = [...new Set([...r.dropped, ...saved.dropped])];
        let roll = sdbRoleRolls({ restart: r.restart, dropped });
        if (!roll) {
          const applied = await t.step(`ApplyConfig-${r.role}`, () => short.applySingleStoreConfig(input.namespace, dbRef.name, r.role, saved.params),
            (a) => `SET GLOBAL ${a.set.length ? a.set.join(', ') : 'not needed (every node already had the values)'}${a.notOnline.length ? `; not settable online: ${a.notOnline.join(', ')}` : ''}`);
          if (applied.notOnline.length > 0) {
            if (r.restart === 'false') {
              throw ApplicationFailure.nonRetryable(`spec.configuration.${r.role}.restart is false but ${applied.notOnline.join(', ')} cannot be set online; the config is saved and takes effect when the ${r.role} Pods restart`);
            }
            roll = true;
          }
          if (dropped.length > 0) notes.push(`${r.role}: ${dropped.join(', ')} no longer configured; back to the server default at the next restart`);
        }
        if (roll) {
          const uids = await short.podUids(input.namespace, r.pods);
          for (const pod of r.pods) await rollSingleStorePod(ops, r.statefulSet, pod, { restartUid: uids[pod] });
        }
        await t.step(`VerifyConfig-${r.role}`, () => long.verifySingleStoreConfig(input.namespace, dbRef.name, r.role, saved.params));
      }
    },
    success: (plan) => `${plan.database} reconfigured (${plan.roles.map((r) => r.role).join(', ')})${notes.length ? `; ${notes.join('; ')}` : ''}`,
  });
}
