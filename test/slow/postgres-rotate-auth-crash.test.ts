// RotateAuth with the worker SIGKILLed twice (failpoints): right after the Secret write (before ALTER
// ROLE) and right after ALTER ROLE (before the passfiles and the sync check), under the consumers'
// login loop. The run ends Successful, the Secret and the role agree (the Secret's password logs in
// on every member, password.prev on none), no consumer login failed, no Pod restarted, and no
// password is in the history or the logs. In test/slow: it takes several minutes on a loaded 2-core
// machine.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { stateDir } from '../../devenv/paths.ts';
import { prebuiltWorkflowBundle, restartingWorkers, startOpsflowProcess, type OpsflowProcess, type RestartingWorkers } from '../support/processes.ts';
import { rotateAuthHarness } from '../support/rotate-auth.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('Postgres RotateAuth with the worker SIGKILLed after the Secret write and after ALTER ROLE', function () {
  this.timeout(1_200_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess | undefined;
  let workers: RestartingWorkers | undefined;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('slow-rac');
  });
  after(async () => {
    await watcher?.stop();
    await workers?.stop();
    await ns?.remove();
  });

  it('Successful; the Secret and the role agree; no failed login, no restart, no password in the history or logs', async () => {
    const o = objects(ns.name);
    const h = rotateAuthHarness(ns.name, o);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('slow-rac'), namespace: ns.name };
    const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
    const failEnv = {
      OPSFLOW_FAILPOINTS: 'rotateAuth-before-alter,rotateAuth-after-alter', OPSFLOW_FAILPOINTS_DIR: fired,
      ...await prebuiltWorkflowBundle(join(fired, '..', `rotate-auth-bundle-${process.pid}.js`)),
    };
    watcher = startOpsflowProcess('watcher', env);
    // Two workers, each replaced when it dies (as a Deployment would): a killed step's retry runs on the other.
    workers = restartingWorkers(env, failEnv, 2);
    await o.readyPostgres('ra', '16.13', 2);
    await h.streaming();
    const { next } = await h.rotateUnderLoad('rotate-crash', undefined, { workerRestarts: true });
    assert.deepEqual(readdirSync(fired).sort(), ['rotateAuth-after-alter', 'rotateAuth-before-alter']);
    assert.ok(workers.starts >= 4, `${workers.starts} worker processes`);
    const verifier = await h.rows<{ ok: boolean }>('ra-0', "SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' AS ok FROM pg_authid WHERE rolname = 'postgres'");
    assert.equal(verifier[0]?.ok, true, 'the role holds a SCRAM verifier');
    assert.ok(Array.isArray(await h.login('ra-1', next)), 'the Secret\'s password logs in on the standby');
    const logs = Array.from({ length: workers.starts }, (_, i) => join(stateDir, 'test-processes', `${ns.name}-worker-${i + 1}.log`));
    await h.assertNoPasswords([watcher.logFile, ...logs]);
  });
});
