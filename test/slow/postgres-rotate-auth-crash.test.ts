// RotateAuth with the worker SIGKILLed twice (failpoints): right after the Secret write (before ALTER
// ROLE) and right after ALTER ROLE (before the passfiles and the sync check), under the consumers'
// login loop. The run ends Successful, the Secret and the role agree (the Secret's password logs in
// on every member, password.prev on none), no consumer login failed, no Pod restarted, and no
// password is in the history or the logs. In test/slow: each worker start takes a minute on a
// loaded 2-core machine.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { rotateAuthHarness } from '../support/rotate-auth.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('Postgres RotateAuth with the worker SIGKILLed after the Secret write and after ALTER ROLE', function () {
  this.timeout(1_200_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess | undefined;
  const workers: OpsflowProcess[] = [];
  const logFiles: string[] = [];
  let keepRestarting = true;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('slow-rac');
  });
  after(async () => {
    keepRestarting = false;
    await watcher?.stop();
    for (const w of workers) await w.stop();
    await ns?.remove();
  });

  it('Successful; the Secret and the role agree; no failed login, no restart, no password in the history or logs', async () => {
    const o = objects(ns.name);
    const h = rotateAuthHarness(ns.name, o);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('slow-rac'), namespace: ns.name };
    const fired = mkdtempSync(join(tmpdir(), 'opsflow-failpoints-'));
    const failEnv = { OPSFLOW_FAILPOINTS: 'rotateAuth-before-alter,rotateAuth-after-alter', OPSFLOW_FAILPOINTS_DIR: fired };
    watcher = startOpsflowProcess('watcher', env);
    logFiles.push(watcher.logFile);
    // Two workers, each replaced when it dies (as a Deployment would).
    let starts = 0;
    const startWorker = (slot: number): OpsflowProcess => {
      const w = startOpsflowProcess('worker', env, `worker-${++starts}`, failEnv);
      logFiles.push(w.logFile);
      w.child.once('exit', () => { if (keepRestarting) workers[slot] = startWorker(slot); });
      return w;
    };
    workers.push(startWorker(0), startWorker(1));
    await o.readyPostgres('ra', '16.13', 2);
    await h.streaming();
    const { next } = await h.rotateUnderLoad('rotate-crash', undefined, { workerRestarts: true });
    assert.deepEqual(readdirSync(fired).sort(), ['rotateAuth-after-alter', 'rotateAuth-before-alter']);
    assert.ok(starts >= 4, `${starts} worker processes`);
    const verifier = await h.rows<{ ok: boolean }>('ra-0', "SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' AS ok FROM pg_authid WHERE rolname = 'postgres'");
    assert.equal(verifier[0]?.ok, true, 'the role holds a SCRAM verifier');
    assert.ok(Array.isArray(await h.login('ra-1', next)), 'the Secret\'s password logs in on the standby');
    await h.assertNoPasswords(logFiles);
  });
});
