// Postgres RotateAuth end to end via `kubectl apply` (watcher and worker as processes, real Postgres,
// one database for every case): a generated password, then one from spec.authentication.secretRef,
// while two consumers log in the whole time with what the Secret says (test/support/rotate-auth.ts):
// zero failed logins, no Pod restarted, the standbys' WAL receivers never reconnect, and a forced
// reconnect uses the new password. Refused requests change nothing. No password in any history,
// status, event or log. The worker SIGKILLed mid-rotation: test/slow/postgres-rotate-auth-crash.test.ts.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { rotateAuthHarness } from '../support/rotate-auth.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('Postgres RotateAuth via kubectl apply (real Postgres)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let h: ReturnType<typeof rotateAuthHarness>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-ra');
    const o = objects(ns.name);
    h = rotateAuthHarness(ns.name, o);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-ra'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    await o.readyPostgres('ra', '16.13', 2);
    await h.streaming();
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  it('a generated password: no failed login, no restart; a WAL receiver that reconnects uses the new password', async () => {
    const { next } = await h.rotateUnderLoad('rotate-generated');
    assert.match(next, /^[A-Za-z0-9_-]{32}$/, 'a generated password (24 random bytes)');
    assert.match(await kubectl(['get', 'pgops', 'rotate-generated', '-n', ns.name]), /rotate-generated\s+RotateAuth\s+Successful/);
    // The walsender ends: the standby reconnects with its passfile, which now holds the new password.
    const pid = (await h.receivers())['ra-1']?.pid;
    await h.rows('ra-0', "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'ra-1'");
    await eventually('ra-1 reconnected and streams', async () => {
      const r = (await h.receivers())['ra-1'];
      return r && r.pid !== pid && r.status === 'streaming' ? true : undefined;
    }, 60_000, 250);
    await h.streaming();
  });

  it('a password from spec.authentication.secretRef', async () => {
    const given = 'from-a-Secret: with \\ and \' inside';
    await h.userSecret('new-pw', { username: 'postgres', password: given });
    const { next } = await h.rotateUnderLoad('rotate-from-secret', 'new-pw');
    assert.equal(next, given);
  });

  it('refused, naming the field, and nothing changed: a missing key, an empty one, the same password, another user; SingleStore and ProxySQL', async () => {
    const o = objects(ns.name);
    const current = (await h.secret('ra-auth')).data.password ?? '';
    await h.userSecret('no-key', { username: 'postgres' });
    await h.userSecret('empty', { password: '' });
    await h.userSecret('same', { password: current });
    await h.userSecret('other-user', { username: 'bob', password: 'a-fine-new-password' });
    const before = await h.secret('ra-auth');
    const cases: Array<[string, string, RegExp]> = [
      ['refuse-no-key', 'no-key', /^spec\.authentication\.secretRef\.name \(Secret "no-key"\): the key "password" is missing or empty/],
      ['refuse-empty', 'empty', /^spec\.authentication\.secretRef\.name \(Secret "empty"\): the key "password" is missing or empty/],
      ['refuse-same', 'same', /^spec\.authentication\.secretRef\.name: Secret "same" holds the password the database already uses/],
      ['refuse-user', 'other-user', /username is "bob" but the database's user is "postgres"/],
      ['refuse-missing', 'no-such-secret', /^spec\.authentication\.secretRef\.name: Secret "no-such-secret" not found/],
    ];
    for (const [name, source] of cases) await h.rotate(name, source);
    for (const [name, , message] of cases) {
      const r = await o.finished('PostgresOpsRequest', name, 120_000);
      assert.equal(r.status?.phase, 'Failed', name);
      assert.match(r.status?.message ?? '', message, name);
    }
    assert.equal((await h.secret('ra-auth')).rv, before.rv, 'the auth Secret was not written');
    assert.ok(Array.isArray(await h.login('ra-0', current)), 'the password still logs in');
    for (const [kind, ref, msg] of [['SingleStoreOpsRequest', 'databaseRef', /spec\.type: RotateAuth is not supported for SingleStore/], ['ProxySQLOpsRequest', 'proxyRef', /spec\.type: RotateAuth is not supported for ProxySQL/]] as const) {
      await assert.rejects(kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({ apiVersion: 'opsflow.dev/v1alpha1', kind, metadata: { name: 'rotate' }, spec: { type: 'RotateAuth', [ref]: { name: 'x' } } })),
        (e: Error) => msg.test(e.message), kind);
    }
  });

  it('no password in any workflow history, OpsRequest status, Event, or the worker and watcher logs', async () => {
    await h.assertNoPasswords([watcher.logFile, worker.logFile]);
  });
});
