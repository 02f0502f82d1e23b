// No request can run code or smuggle config: Reconfigure requests (kubectl apply) with a shell
// command, a library, or an injection-shaped value end Failed naming the field and the parameter,
// with nothing changed (same Pod UIDs, config Secret and database); a Postgres whose own
// spec.configSecret is unsafe gets ConfigValid=False naming Secret, key and parameter, and nothing
// is rendered from it, at creation, when its content changes, or when spec.configSecret changes.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const DB = 'pg';

describe('Postgres: no request can do harm (end to end)', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-noharm');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-noharm'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    await secret('safe-conf', 'work_mem = 8MB\n');
    await o.create('Postgres', DB, { version: '16.13', replicas: 1, configSecret: { name: 'safe-conf' } });
    await eventually(`${DB} Ready`, async () => ((await o.db(DB)).status?.phase === 'Ready' ? true : undefined), 300_000, 1000);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  const secret = (name: string, conf: string) => clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: { 'user.conf': conf } } });
  const rendered = async (name = `${DB}-config`) => (await clients().core.readNamespacedSecret({ name, namespace: ns.name })).data;
  const snapshot = async () => ({ pods: await o.podUids(`app.kubernetes.io/instance=${DB}`), config: await rendered(), generation: (await o.db(DB)).metadata.generation });

  const refused: Array<{ name: string; configuration: Record<string, unknown>; why: RegExp }> = [
    {
      name: 'archive-command',
      configuration: { applyConfig: { 'user.conf': "archive_mode = on\narchive_command = 'touch /tmp/x-%f'\n" } },
      why: /spec\.configuration\.applyConfig\["user\.conf"\]: archive_command is not allowed: it runs a shell command/,
    },
    {
      name: 'injection',
      configuration: { applyConfig: { 'user.conf': "log_line_prefix = '%m'; select 1; --'\n" } },
      why: /spec\.configuration\.applyConfig\["user\.conf"\]: line 1: log_line_prefix: trailing text "; select 1; --'" after the value/,
    },
    {
      name: 'preload-secret',
      configuration: { configSecret: { name: 'evil-preload' } },
      why: /spec\.configuration\.configSecret \(Secret evil-preload\), key user\.conf: shared_preload_libraries is not allowed/,
    },
  ];

  it('Reconfigure with archive_command, an injection value or a preload library: Failed naming the field; nothing changed', async () => {
    await secret('evil-preload', "shared_preload_libraries = 'evil'\n");
    const before = await snapshot();
    for (const c of refused) {
      await kubectl(['apply', '-n', ns.name, '-f', '-'], stringify({
        apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name: c.name },
        spec: { type: 'Reconfigure', databaseRef: { name: DB }, configuration: c.configuration },
      }));
      const ops = await o.finished('PostgresOpsRequest', c.name);
      assert.equal(ops.status?.phase, 'Failed', c.name);
      assert.match(ops.status?.message ?? '', c.why);
      assert.equal(getCondition(ops.status?.conditions, 'PauseDatabase'), undefined, `${c.name}: never paused`);
    }
    assert.deepEqual(await snapshot(), before, 'same Pod UIDs, config Secret and database generation');
    assert.equal((await o.db(DB)).status?.phase, 'Ready');
  });

  it('a Postgres created with an unsafe configSecret: ConfigValid=False naming Secret, key and parameter; nothing rendered', async () => {
    await secret('evil-archive', "work_mem = 4MB\narchive_command = 'touch /tmp/pwned-%f'\n");
    await o.create('Postgres', 'pg-evil', { version: '16.13', replicas: 1, configSecret: { name: 'evil-archive' } });
    const db = await eventually('pg-evil ConfigValid=False', async () => {
      const d = await o.db('pg-evil');
      return getCondition(d.status?.conditions, 'ConfigValid')?.status === 'False' ? d : undefined;
    }, 60_000, 500);
    assert.equal(db.status?.phase, 'Failed');
    assert.equal(getCondition(db.status?.conditions, 'ConfigValid')?.message,
      'spec.configSecret (Secret evil-archive, key user.conf): archive_command is not allowed: it runs a shell command');
    await new Promise((r) => setTimeout(r, 6_000)); // a resync later, still nothing
    const { apps, core } = clients();
    await assert.rejects(apps.readNamespacedStatefulSet({ name: 'pg-evil', namespace: ns.name }), /404|not found/i, 'no StatefulSet rendered');
    await assert.rejects(core.readNamespacedSecret({ name: 'pg-evil-config', namespace: ns.name }), /404|not found/i, 'no config Secret rendered');
  });

  it("unsafe content in the running database's configSecret: refused, the running config stays", async () => {
    const before = await snapshot();
    await clients().core.replaceNamespacedSecret({ name: 'safe-conf', namespace: ns.name, body: { metadata: { name: 'safe-conf' }, stringData: { 'user.conf': "work_mem = 8MB\nrestore_command = 'cp /x %p'\n" } } });
    const db = await eventually('pg ConfigValid=False', async () => {
      const d = await o.db(DB);
      return getCondition(d.status?.conditions, 'ConfigValid')?.status === 'False' ? d : undefined;
    }, 60_000, 500);
    assert.match(getCondition(db.status?.conditions, 'ConfigValid')?.message ?? '', /^spec\.configSecret \(Secret safe-conf, key user\.conf\): restore_command is not allowed: it runs a shell command$/);
    assert.deepEqual(await snapshot(), before, 'same Pod UIDs and rendered config Secret');
  });

  it('spec.configSecret changed to an unsafe Secret: the declarative Reconfigure fails naming it; UpdatePending says so', async () => {
    await clients().core.replaceNamespacedSecret({ name: 'safe-conf', namespace: ns.name, body: { metadata: { name: 'safe-conf' }, stringData: { 'user.conf': 'work_mem = 8MB\n' } } });
    const before = await snapshot();
    await o.patch('Postgres', DB, { spec: { configSecret: { name: 'evil-preload' } } });
    const db = await eventually('UpdatePending names the failed request', async () => {
      const d = await o.db(DB);
      const c = getCondition(d.status?.conditions, 'UpdatePending');
      return c?.reason === 'OpsRequestFailed' ? d : undefined;
    }, 120_000, 500);
    assert.match(getCondition(db.status?.conditions, 'UpdatePending')?.message ?? '', /Secret evil-preload\), key user\.conf: shared_preload_libraries is not allowed/);
    assert.deepEqual({ ...(await snapshot()), generation: before.generation }, before, 'same Pod UIDs and rendered config Secret');
  });
});
