// The ProxySQL Reconfigure activities against a real ProxySQL object on the local cluster (SIMULATED
// members, real provisioner, real API server), called directly as a retry would call them: apply
// twice (idempotent), verify on every member, the live checks before and after, and no password in
// any result or log line (the input carries only the redaction marker; the activities read the
// OpsRequest).
import assert from 'node:assert/strict';
import { createActivities } from '../../src/activities/index.ts';
import { loadConfig } from '../../src/config.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { opsInputFrom } from '../../src/temporal/input.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { adminRows, proxyLogin } from '../support/proxysql.ts';

describe('ProxySQL Reconfigure activities on the local cluster (simulated ProxySQL)', function () {
  this.timeout(180_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner | undefined;
  const lines: string[] = [];
  const password = `It's-a-"secret";-- ${Date.now().toString(36)}`;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('prxcfg');
    provisioner = await startProvisioner(ns.name);
    await objects(ns.name).create('ProxySQL', 'px', { version: '2.6.3', replicas: 2 });
    await eventually('px Ready', async () => ((await objects(ns.name).get<{ phase?: string }>('ProxySQL', 'px')).status?.phase === 'Ready' ? true : undefined), 120_000, 250);
  });
  after(async () => {
    await provisioner?.stop();
    await ns?.remove();
  });

  it('validates, applies twice without error, verifies on every member; then the same add is refused; nothing leaks', async () => {
    const o = objects(ns.name);
    // A cleartext password is refused in an OpsRequest: it comes from a Secret the activity reads.
    await clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'svc-pw' }, stringData: { password } } });
    const spec = {
      type: 'Reconfigure', proxyRef: { name: 'px' },
      configuration: {
        mysqlUsers: { reqType: 'add', users: [{ username: 'svc', passwordSecretRef: { name: 'svc-pw', key: 'password' }, default_hostgroup: 1 }] },
        mysqlQueryRules: { reqType: 'add', rules: [{ rule_id: 5, active: 1, match_digest: "^SELECT 'x'", destination_hostgroup: 1, apply: 1 }] },
        mysqlVariables: { default_query_timeout: 3600000 },
      },
    };
    const created = await o.create('ProxySQLOpsRequest', 'add', spec);
    const input = opsInputFrom('ProxySQLOpsRequest', { metadata: { namespace: ns.name, name: 'add', uid: created.metadata.uid }, spec: created.spec as never });
    assert.ok(!JSON.stringify(input).includes(password), 'the input holds no password');

    const acts = createActivities({ kube: makeKube(kubeConfig()), log: createLogger({}, 'debug', (l) => lines.push(l)), config: loadConfig(), pollMs: 200 });
    const results: unknown[] = [];
    const v = await acts.validateProxySQLReconfigure(input);
    results.push(v);
    assert.equal(v.outcome, 'Proceed', JSON.stringify(v));
    assert.deepEqual(await acts.checkProxySQLCurrentConfig(input), []);
    const members = v.outcome === 'Proceed' ? v.plan.members : [];
    assert.deepEqual(members, ['px-0', 'px-1']);
    results.push(await acts.applyProxySQLConfiguration(input, members));
    results.push(await acts.applyProxySQLConfiguration(input, members)); // a retry: already added rows are no error
    results.push(await acts.verifyProxySQLConfiguration(input, 30_000));
    assert.match(String(results[3]), /all 2 member\(s\) run the new config; checksums agree/);

    for (const m of members) {
      assert.equal(await proxyLogin(ns.name, m, 'svc', password), 1, `svc logs in through ${m}`);
      const rows = await adminRows(ns.name, 'px', m, "SELECT rule_id, match_digest FROM runtime_mysql_query_rules WHERE rule_id = 5");
      assert.equal(rows[0]?.match_digest, "^SELECT 'x'", `${m}: the quote survived`);
    }
    // The same request again is now refused by the live check (the rows exist).
    assert.deepEqual(await acts.checkProxySQLCurrentConfig(input), [
      'spec.configuration.mysqlUsers.users[0].username: mysql user "svc" already exists (use reqType update)',
      'spec.configuration.mysqlQueryRules.rules[0].rule_id: query rule 5 already exists (use reqType update)',
    ]);
    assert.ok(lines.some((l) => l.includes('proxysql configuration applied')), 'the activities logged');
    const visible = JSON.stringify(results) + lines.join('\n');
    assert.ok(!visible.includes(password), 'no password in results or logs');
  });

  it('a request naming a user without a password, for a missing ProxySQL, or an OpsRequest that was replaced, is refused', async () => {
    const o = objects(ns.name);
    const acts = createActivities({ kube: makeKube(kubeConfig()), log: createLogger({}, 'warn', (l) => lines.push(l)), config: loadConfig() });
    const mk = async (name: string, spec: Record<string, unknown>) => {
      const c = await o.create('ProxySQLOpsRequest', name, spec);
      return opsInputFrom('ProxySQLOpsRequest', { metadata: { namespace: ns.name, name, uid: c.metadata.uid }, spec: c.spec as never });
    };
    const nopw = await mk('nopw', { type: 'Reconfigure', proxyRef: { name: 'px' }, configuration: { mysqlUsers: { reqType: 'add', users: [{ username: 'x' }] } } });
    assert.deepEqual(await acts.validateProxySQLReconfigure(nopw), { outcome: 'Failed', reason: 'spec.configuration.mysqlUsers.users[0]: no password: give passwordSecretRef, or set spec.backend on ProxySQL px to take it from the backend' });
    const missing = await mk('missing', { type: 'Reconfigure', proxyRef: { name: 'nope' }, configuration: { mysqlVariables: { max_connections: 5 } } });
    assert.deepEqual(await acts.validateProxySQLReconfigure(missing), { outcome: 'Failed', reason: `spec.proxyRef: ProxySQL "nope" not found in namespace ${ns.name}` });
    await assert.rejects(acts.applyProxySQLConfiguration({ ...nopw, uid: 'another-uid' }, ['px-0']), /was replaced by another object/);
  });
});
