// End to end on the local cluster with its data plane (SIMULATED ProxySQL members as processes, with
// ProxySQL Cluster sync): `kubectl apply` of ProxySQLOpsRequests → watcher process → workflow on the
// real Temporal dev server → worker process. UpdateVersion (members rolled one at a time, version and
// checksums checked), a worker SIGKILLed mid-rollout, Reconfigure (users, query rules, variables
// through the admin interface; no Pod replaced; no password in histories or logs), invalid requests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import type { DatabaseStatus } from '../../src/api/common.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';
import { checksumsAgree, proxysqlVersion } from '../../src/engines/proxysql/probe.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { repoDir } from '../../devenv/paths.ts';
import { nativeHash } from '../../devenv/runtime/mysql-sim/mysql.ts';
import { clients, eventually, isReady, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { adminRows, historyText, proxyLogin, withAdmin, withAdmins } from '../support/proxysql.ts';
import { backendSql, startMySQLBackend, type MySQLBackend } from '../support/mysql-backend.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const members = (db: string) => [0, 1, 2].map((i) => `${db}-${i}`);
// Quotes, a semicolon and SQL comment marks: the quoting must hold, and none of it may leak.
const PASSWORDS = { app1: `Pw1'x";--sEcReT-${Date.now().toString(36)}`, app2: `pw2-${Math.random().toString(36).slice(2)}-SeCrEt` };

describe('ProxySQL UpdateVersion and Reconfigure end to end (watcher and worker processes, simulated ProxySQL)', function () {
  this.timeout(600_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;
  let env: { temporalAddress: string; taskQueue: string; namespace: string };
  const logs: string[] = [];
  let backend: MySQLBackend;

  /** Applies an example file into the test namespace (its objects say namespace demo); returns the OpsRequest's name. */
  async function applyExample(file: string): Promise<string> {
    const docs = parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'examples', file), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    for (const d of docs) d.metadata.namespace = ns.name;
    await kubectl(['apply', '-f', '-'], docs.map((d) => stringify(d)).join('---\n'));
    return docs.find((d) => d.kind === 'ProxySQLOpsRequest')?.metadata.name ?? '';
  }

  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));
  const prx = (name: string) => o.get<DatabaseStatus>('ProxySQL', name);
  const ops = (name: string) => o.get<OpsRequestStatus>('ProxySQLOpsRequest', name);
  const prxops = (name: string, spec: Record<string, unknown>) => apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQLOpsRequest', metadata: { name }, spec });
  const finished = (name: string) => o.finished('ProxySQLOpsRequest', name, 300_000);
  const successful = (name: string) => o.successful('ProxySQLOpsRequest', name, 300_000);
  const readyAndResumed = (db: string) => eventually(`${db} Ready and resumed`, async () => {
    const d = await prx(db);
    return d.status?.phase === 'Ready' && getCondition(d.status.conditions, 'Paused')?.status !== 'True' && !d.metadata.annotations?.['opsflow.dev/pause-requested'] ? d : undefined;
  }, 60_000, 500);
  const agree = (db: string) => {
    let last: string[] = [];
    return eventually(`${db}: checksums agree`, async () => {
      last = await withAdmins(ns.name, db, members(db), (c) => checksumsAgree(c));
      return last.length === 0 ? true : undefined;
    }, 30_000, 500).catch((e: unknown) => { throw new Error(`${String(e)}; last problems: ${last.join('; ')}`); });
  };
  const versions = async (db: string) => Promise.all(members(db).map((m) => withAdmin(ns.name, db, m, (c) => proxysqlVersion(c))));

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-prx');
    o = objects(ns.name);
    env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-prx'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    logs.push(watcher.logFile, worker.logFile);
    for (const [name, version] of [['upd', '2.5.5'], ['cfg', '2.6.3']] as const) {
      await apply({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQL', metadata: { name }, spec: { version, replicas: 3 } });
    }
    // KubeDB's update-version and reconfigure guides: a ProxySQL in front of a MySQL backend that
    // holds the users; first at 2.7.3-debian (the update-version guide), then updated to the
    // reconfigure guide's 3.0.1-debian.
    backend = await startMySQLBackend(ns.name, 'mysql-server');
    await applyExample('kubedb/proxysql/update-version/proxy-server.yaml');
    for (const db of ['upd', 'cfg', 'proxy-server']) {
      await eventually(`${db} Ready`, async () => ((await prx(db)).status?.phase === 'Ready' ? true : undefined), 180_000, 500);
      await agree(db);
    }
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  async function assertUpdated(db: string, target: string, history: Awaited<ReturnType<typeof watchPodUids>>): Promise<void> {
    for (const pod of members(db)) assert.equal(history.uids(pod).length, 2, `${pod} replaced exactly once (UIDs seen: ${history.uids(pod).join(', ')})`);
    assert.deepEqual(await versions(db), [target, target, target], 'every member reports the target version');
    await agree(db);
    const d = await readyAndResumed(db);
    assert.equal(String(d.spec.version).replace(/-.*$/, ''), target);
  }

  it('UpdateVersion 2.5.5 → 2.6.3 via kubectl apply: members rolled highest ordinal first, each once; checksums agree', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=upd');
    await prxops('upd-up', { type: 'UpdateVersion', proxyRef: { name: 'upd' }, updateVersion: { targetVersion: '2.6.3' }, timeout: '3m' });
    const done = await successful('upd-up');
    await assertUpdated('upd', '2.6.3', history);
    await history.stop();
    const at = (c: string) => getCondition(done.status?.conditions, c)?.lastTransitionTime ?? '';
    assert.ok(at('RestartPod-upd-2') <= at('RestartPod-upd-1') && at('RestartPod-upd-1') <= at('RestartPod-upd-0'), 'upd-2, upd-1, then upd-0');
    assert.match(getCondition(done.status?.conditions, 'RestartPod-upd-0')?.message ?? '', /reports 2\.6\.3; config checksums agree on 3 member/);
  });

  it('crash: the worker is SIGKILLed mid-rollout (2.6.3 → 2.7.3), a new one finishes the run; no Pod replaced twice', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=upd');
    await prxops('upd-crash', { type: 'UpdateVersion', proxyRef: { name: 'upd' }, updateVersion: { targetVersion: '2.7.3' }, timeout: '3m' });
    await eventually('upd-crash: rollout under way', async () => {
      const c = (await ops('upd-crash')).status?.conditions ?? [];
      return c.some((x) => x.type.startsWith('RestartPod-') && x.status === 'Unknown') && c.some((x) => x.type.startsWith('RestartPod-') && x.status === 'True') ? true : undefined;
    }, 120_000, 100);
    await worker.kill();
    worker = startOpsflowProcess('worker', env, 'worker-2');
    logs.push(worker.logFile);
    await successful('upd-crash');
    await assertUpdated('upd', '2.7.3', history);
    await history.stop();
  });

  it('Reconfigure: users added (log in through 6033 on every member), query rules updated and deleted, variables set; no Pod replaced; no password leaks', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=cfg');
    const cfg = (configuration: Record<string, unknown>) => ({ type: 'Reconfigure', proxyRef: { name: 'cfg' }, configuration });
    // The passwords live in Secrets (a cleartext password in an OpsRequest is refused by the API server).
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app1-pw' }, stringData: { pw: PASSWORDS.app1 } });
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app2-pw' }, stringData: { password: PASSWORDS.app2 } });
    // Applied together: they run one at a time, in creation order, each checked against the config the earlier ones left.
    await prxops('cfg-1-add', cfg({
      mysqlUsers: { reqType: 'add', users: [{ username: 'app1', passwordSecretRef: { name: 'app1-pw', key: 'pw' }, default_hostgroup: 2 }, { username: 'app2', passwordSecretRef: { name: 'app2-pw' }, max_connections: 50 }] },
      mysqlQueryRules: { reqType: 'add', rules: [
        { rule_id: 10, active: 1, match_digest: '^SELECT .* FOR UPDATE$', destination_hostgroup: 2, apply: 1 },
        { rule_id: 11, active: 1, match_digest: '^SELECT', destination_hostgroup: 3, apply: 1 },
      ] },
      adminVariables: { refresh_interval: 2055 },
      mysqlVariables: { max_connections: 1500 },
    }));
    await prxops('cfg-2-update', cfg({ mysqlQueryRules: { reqType: 'update', rules: [{ rule_id: 10, destination_hostgroup: 5, comment: "it's updated" }] } }));
    await prxops('cfg-3-delete', cfg({ mysqlQueryRules: { reqType: 'delete', rules: [{ rule_id: 11 }] } }));
    const runs = [await successful('cfg-1-add'), await successful('cfg-2-update'), await successful('cfg-3-delete')];

    for (const m of members('cfg')) {
      for (const [user, pw] of Object.entries(PASSWORDS)) assert.equal(await proxyLogin(ns.name, m, user, pw), 1, `${user} logs in through ${m}:6033`);
      await assert.rejects(proxyLogin(ns.name, m, 'app1', 'wrong'), /denied/i, 'a wrong password is refused');
      const users = await adminRows(ns.name, 'cfg', m, "SELECT username, default_hostgroup, max_connections FROM runtime_mysql_users WHERE username IN ('app1', 'app2') ORDER BY username");
      assert.deepEqual(users.map((u) => [u.username, Number(u.default_hostgroup), Number(u.max_connections)]), [['app1', 2, 10000], ['app2', 0, 50]], m);
      const rules = await adminRows(ns.name, 'cfg', m, 'SELECT rule_id, destination_hostgroup, comment FROM runtime_mysql_query_rules ORDER BY rule_id');
      assert.deepEqual(rules.map((r) => [Number(r.rule_id), Number(r.destination_hostgroup), r.comment]), [[10, 5, "it's updated"]], m);
      const vars = await adminRows(ns.name, 'cfg', m, "SELECT variable_name, variable_value FROM runtime_global_variables WHERE variable_name IN ('admin-refresh_interval', 'mysql-max_connections') ORDER BY variable_name");
      assert.deepEqual(vars.map((v) => [v.variable_name, v.variable_value]), [['admin-refresh_interval', '2055'], ['mysql-max_connections', '1500']], m);
      const disk = await adminRows(ns.name, 'cfg', m, 'SELECT username FROM disk.mysql_users ORDER BY username');
      assert.deepEqual(disk.map((u) => u.username), ['app1', 'app2'], `${m} saved the users to disk`);
    }
    await agree('cfg');
    for (const m of members('cfg')) assert.equal(history.uids(m).length, 1, `${m} not replaced`);
    await readyAndResumed('cfg');

    // No password in any workflow history, the processes' logs, the OpsRequests' status or Events.
    const client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
    try {
      for (const r of runs) {
        const text = historyText(await client.workflow.getHandle(r.status?.workflow?.id ?? '').fetchHistory()).join('\n');
        if (r.metadata.name === 'cfg-1-add') assert.ok(text.includes('app1-pw'), 'the input names the Secret, not its value');
        for (const pw of Object.values(PASSWORDS)) {
          assert.ok(!text.includes(pw) && !text.includes(Buffer.from(pw).toString('base64')), `no password in the history of ${r.metadata.name}`);
        }
      }
    } finally {
      await client.connection.close();
    }
    const events = await clients().events.listNamespacedEvent({ namespace: ns.name });
    const visible = [...logs.map((f) => readFileSync(f, 'utf8')), JSON.stringify(runs.map((r) => r.status)), JSON.stringify(events.items)].join('\n');
    assert.ok(visible.includes('cfg-1-add'), 'the logs and events are about these runs');
    for (const pw of Object.values(PASSWORDS)) assert.ok(!visible.includes(pw), 'no password in the watcher/worker logs, statuses or Events');

    // A re-created member keeps the config (its disk; ProxySQL Cluster would also give it back).
    const old = await clients().core.readNamespacedPod({ name: 'cfg-1', namespace: ns.name });
    await clients().core.deleteNamespacedPod({ name: 'cfg-1', namespace: ns.name });
    await eventually('cfg-1 re-created and Ready', async () => {
      const p = await clients().core.readNamespacedPod({ name: 'cfg-1', namespace: ns.name }).catch(() => undefined);
      return p && p.metadata?.uid !== old.metadata?.uid && isReady(p) ? p : undefined;
    }, 60_000, 250);
    assert.equal(await eventually('app1 logs in through the re-created cfg-1', () => proxyLogin(ns.name, 'cfg-1', 'app1', PASSWORDS.app1).catch(() => undefined), 20_000, 250), 1);
    await history.stop();
  });

  it("KubeDB's ProxySQL update-version example (2.7.3-debian → 3.0.1-debian, only apiVersion changed): KubeDB's catalog names and images", async () => {
    const db = 'proxy-server';
    const history = await watchPodUids(ns.name, `app.kubernetes.io/instance=${db}`);
    const sts = async () => (await clients().apps.readNamespacedStatefulSet({ name: db, namespace: ns.name })).spec?.template.spec?.containers[0]?.image;
    assert.equal(await sts(), 'kubedb/proxysql:2.7.3-debian');
    const done = await successful(await applyExample('kubedb/proxysql/update-version/proxyops-upgrade.yaml'));
    await assertUpdated(db, '3.0.1', history);
    assert.equal((await prx(db)).spec.version, '3.0.1-debian');
    assert.equal(await sts(), 'kubedb/proxysql:3.0.1-debian');
    assert.match(getCondition(done.status?.conditions, `RestartPod-${db}-0`)?.message ?? '', /reports 3\.0\.1; config checksums agree on 3 member/);
    await history.stop();
    // The reconfigure guide's ProxySQL is this one now: applying it changes nothing.
    await applyExample('kubedb/proxysql/proxy-server.yaml');
    assert.equal((await prx(db)).spec.version, '3.0.1-debian');
  });

  it("KubeDB's ProxySQL reconfigure examples (kubectl apply, only apiVersion changed): users with passwords from the backend, rules, variables", async () => {
    const db = 'proxy-server';
    const history = await watchPodUids(ns.name, `app.kubernetes.io/instance=${db}`);
    // The guide creates the users in the backend first.
    await backendSql(backend, ["create user `testA`@'%' identified by 'passA'", "create user `testB`@'%' identified by 'passB'", 'create database test',
      "grant all privileges on test.* to 'testA'@'%'", "grant all privileges on test.* to 'testB'@'%'", 'flush privileges']);
    const users = (m: string) => adminRows(ns.name, db, m, "SELECT username, password, active, default_hostgroup FROM runtime_mysql_users WHERE frontend = 1 ORDER BY username");
    const rules = (m: string) => adminRows(ns.name, db, m, 'SELECT rule_id, active, match_digest, destination_hostgroup, apply FROM runtime_mysql_query_rules ORDER BY rule_id');
    const run = async (file: string) => {
      const x = await successful(await applyExample(`kubedb/proxysql/${file}`));
      await agree(db);
      return x;
    };

    await run('proxyops-add-users.yaml');
    for (const m of members(db)) {
      // The hashes the guide shows: the backend's mysql_native_password of passA and passB.
      assert.deepEqual((await users(m)).map((u) => [u.username, u.password, Number(u.active), Number(u.default_hostgroup)]),
        [['testA', nativeHash('passA'), 1, 2], ['testB', nativeHash('passB'), 1, 2]], m);
      assert.equal(await proxyLogin(ns.name, m, 'testA', 'passA'), 1, `testA logs in through ${m}:6033 with the backend's password`);
    }
    await run('proxyops-update-users.yaml');
    for (const m of members(db)) {
      assert.deepEqual((await users(m)).map((u) => [u.username, Number(u.active), Number(u.default_hostgroup)]), [['testA', 0, 3], ['testB', 1, 3]], m);
    }
    await run('proxyops-remove-users.yaml');
    for (const m of members(db)) assert.deepEqual((await users(m)).map((u) => u.username), ['testB'], m);

    await run('proxyops-add-rules.yaml');
    for (const m of members(db)) {
      assert.deepEqual((await rules(m)).map((r) => [Number(r.rule_id), Number(r.active), r.match_digest, Number(r.destination_hostgroup), Number(r.apply)]), [[4, 1, '^SELECT .* FOR DELETE$', 2, 1]], m);
    }
    await run('proxyops-update-rules.yaml');
    for (const m of members(db)) assert.deepEqual((await rules(m)).map((r) => [Number(r.rule_id), Number(r.active)]), [[4, 0]], m);
    await run('proxyops-remove-rules.yaml');
    for (const m of members(db)) assert.deepEqual(await rules(m), [], m);

    await run('proxyops-recon-vars.yaml');
    for (const m of members(db)) {
      const vars = await adminRows(ns.name, db, m, "SELECT variable_name, variable_value FROM runtime_global_variables WHERE variable_name IN ('admin-refresh_interval', 'admin-cluster_check_interval_ms', 'mysql-max_transaction_time', 'mysql-max_stmts_per_connection') ORDER BY variable_name");
      assert.deepEqual(vars.map((v) => [v.variable_name, v.variable_value]), [
        ['admin-cluster_check_interval_ms', '205'], ['admin-refresh_interval', '2055'], ['mysql-max_stmts_per_connection', '19'], ['mysql-max_transaction_time', '1540000']], m);
    }
    for (const m of members(db)) assert.equal(history.uids(m).length, 1, `${m} not replaced`);
    await readyAndResumed(db);
    await history.stop();

    // A user the backend does not have: Failed before any change, naming the user and the backend.
    await prxops('add-missing', { type: 'Reconfigure', proxyRef: { name: db }, configuration: { mysqlUsers: { reqType: 'add', users: [{ username: 'nobody' }] } } });
    const missing = await finished('add-missing');
    assert.equal(missing.status?.phase, 'Failed');
    assert.match(missing.status?.message ?? '', /^spec\.configuration\.mysqlUsers\.users\[0\]: mysql user "nobody" does not exist in the backend mysql-server/);
    assert.equal(getCondition(missing.status?.conditions, 'PauseDatabase'), undefined, 'never paused');
  });

  it('invalid requests end Failed naming the field, and change nothing', async () => {
    const before = await o.podUids('app.kubernetes.io/instance=cfg');
    await prxops('bad-nopw', { type: 'Reconfigure', proxyRef: { name: 'cfg' }, configuration: { mysqlUsers: { reqType: 'add', users: [{ username: 'nopw', active: 1 }] } } });
    await prxops('bad-var', { type: 'Reconfigure', proxyRef: { name: 'cfg' }, configuration: { adminVariables: { refresh_interval: 3000 }, mysqlVariables: { no_such_variable: 1 } } });
    await prxops('bad-version', { type: 'UpdateVersion', proxyRef: { name: 'cfg' }, updateVersion: { targetVersion: '9.9.9' } });
    await prxops('bad-rule', { type: 'Reconfigure', proxyRef: { name: 'cfg' }, configuration: { mysqlQueryRules: { reqType: 'delete', rules: [{ rule_id: 99 }] } } });
    await prxops('bad-column', { type: 'Reconfigure', proxyRef: { name: 'cfg' }, configuration: { mysqlQueryRules: { reqType: 'add', rules: [{ rule_id: 20, destination_hostgrup: 1 }] } } });
    await prxops('bad-ref', { type: 'Reconfigure', proxyRef: { name: 'nope' }, configuration: { mysqlVariables: { max_connections: 10 } } });
    const expected: Record<string, RegExp> = {
      'bad-nopw': /^spec\.configuration\.mysqlUsers\.users\[0\]: no password: give passwordSecretRef, or set spec\.backend on ProxySQL cfg/,
      'bad-var': /^spec\.configuration\.mysqlVariables\.no_such_variable: unknown ProxySQL variable mysql-no_such_variable/,
      'bad-version': /^spec\.updateVersion\.targetVersion: 9\.9\.9 is not in the ProxySQLVersion catalog/,
      'bad-rule': /^spec\.configuration\.mysqlQueryRules\.rules\[0\]\.rule_id: query rule 99 does not exist/,
      'bad-column': /^spec\.configuration\.mysqlQueryRules\.rules\[0\]\.destination_hostgrup: unknown mysql_query_rules column/,
      'bad-ref': /^spec\.proxyRef: ProxySQL "nope" not found/,
    };
    for (const [name, re] of Object.entries(expected)) {
      const x = await finished(name);
      assert.equal(x.status?.phase, 'Failed', name);
      assert.match(x.status?.message ?? '', re, name);
      assert.equal(getCondition(x.status?.conditions, 'PauseDatabase'), undefined, `${name} never paused the ProxySQL`);
    }
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=cfg'), before, 'no Pod replaced');
    const d = await readyAndResumed('cfg');
    assert.equal(d.spec.version, '2.6.3');
    for (const m of members('cfg')) {
      assert.deepEqual(await adminRows(ns.name, 'cfg', m, "SELECT username FROM mysql_users WHERE username = 'nopw'"), [], m);
      const [v] = await adminRows(ns.name, 'cfg', m, "SELECT variable_value FROM global_variables WHERE variable_name = 'admin-refresh_interval'");
      assert.equal(v?.variable_value, '2055', `${m}: admin-refresh_interval untouched (bad-var changed nothing)`);
    }
  });
});
