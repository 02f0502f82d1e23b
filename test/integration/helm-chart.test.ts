// charts/opsflow: helm lint, bad values refused naming the field, the RBAC rules identical to
// k8s/deploy's, every object of k8s/deploy rendered by the chart (admission policies, user roles,
// disruption budgets, Pod specs), the Temporal options rendered as the processes read them, and the whole rendering
// (CRDs included) accepted by the real API server (server-side dry run) with no Pod Security warning.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { kubeconfigPath } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { bins, repoDir } from '../../devenv/paths.ts';
import { execFileAsync } from '../../devenv/process.ts';
import { chartVsDeploy, DEPLOY_FILES, type Doc } from '../support/chart-vs-deploy.ts';
import { alertRules } from '../support/dashboards.ts';
import { chartDir, helm, helmError, template, type K8sDoc } from '../support/helm.ts';
import { clients, tempNamespace } from '../support/kube.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
type Env = Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
const deployDocs = ['rbac.yaml', 'user-roles.yaml'].flatMap((f) => parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'deploy', f), 'utf8')).map((d) => d.toJS() as K8sDoc & { rules?: Rule[] }));
const shippedDocs = DEPLOY_FILES.flatMap((f) => parseAllDocuments(readFileSync(join(repoDir, 'k8s', 'deploy', f), 'utf8')).map((d) => d.toJS() as Doc).filter(Boolean));
const byKind = (docs: K8sDoc[], kind: string) => docs.filter((d) => d.kind === kind);
const containerEnv = (docs: K8sDoc[], name: string): Env => {
  const d = docs.find((x) => x.kind === 'Deployment' && x.metadata.name === name) as unknown as { spec: { template: { spec: { containers: Array<{ env: Env }> } } } } | undefined;
  assert.ok(d, `Deployment ${name}`);
  return d.spec.template.spec.containers[0]?.env ?? [];
};

describe('charts/opsflow (helm)', function () {
  this.timeout(180_000);

  it('helm lint passes (strict), with database namespaces and every optional part on', async () => {
    const { stdout } = await helm(['lint', chartDir, '--strict', '--set', 'databaseNamespaces={demo}', '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true', '--set', 'metrics.grafanaDashboard.enabled=true']);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  const bad: Array<[string, RegExp]> = [
    ['temporal.address=temporal-frontend', /temporal\.address|\/temporal\/address/],
    ['databaseNamespaces={Demo_1}', /databaseNamespaces/],
    ['worker.logLevel=loud', /worker\.logLevel|\/worker\/logLevel/],
  ];
  for (const [set, field] of bad) {
    it(`refuses --set ${set}, naming the field`, async () => {
      const err = await helmError(['template', 'opsflow', chartDir, '--set', set]);
      assert.match(err, field, err);
    });
  }

  /** Differences between the chart's ClusterRoles (release "opsflow") and k8s/deploy's: names and rules. */
  function rbacDiff(docs: K8sDoc[]): string[] {
    const roles = byKind(docs, 'ClusterRole') as Array<K8sDoc & { rules: Rule[] }>;
    const shipped = byKind(deployDocs, 'ClusterRole') as Array<K8sDoc & { rules: Rule[] }>;
    const out: string[] = [];
    if (roles.map((r) => r.metadata.name).sort().join() !== shipped.map((r) => r.metadata.name).sort().join()) out.push('role names differ');
    for (const r of shipped) {
      const mine = roles.find((x) => x.metadata.name === r.metadata.name)?.rules;
      if (JSON.stringify(mine) !== JSON.stringify(r.rules)) out.push(`${r.metadata.name}: rules differ`);
    }
    return out;
  }

  it('grants exactly the rules of k8s/deploy/rbac.yaml (and user-roles.yaml), and the Secrets only in the listed namespaces', async () => {
    const docs = await template('opsflow', 'opsflow-system', ['databaseNamespaces={demo,shop}']);
    assert.deepEqual(rbacDiff(docs), []);
    const bindings = byKind(docs, 'RoleBinding') as Array<K8sDoc & { roleRef: { name: string }; subjects: Array<{ name: string; namespace: string }> }>;
    assert.deepEqual(bindings.map((b) => `${b.metadata.namespace}/${b.metadata.name}→${b.roleRef.name}:${b.subjects[0]?.namespace}/${b.subjects[0]?.name}`).sort(), [
      'demo/opsflow-watcher-secrets→opsflow-watcher-secrets:opsflow-system/opsflow-watcher', 'demo/opsflow-worker-secrets→opsflow-worker-secrets:opsflow-system/opsflow-worker',
      'opsflow-system/opsflow-watcher-leader-election→opsflow-watcher-leader-election:opsflow-system/opsflow-watcher',
      'shop/opsflow-watcher-secrets→opsflow-watcher-secrets:opsflow-system/opsflow-watcher', 'shop/opsflow-worker-secrets→opsflow-worker-secrets:opsflow-system/opsflow-worker',
    ]);
    assert.ok(!byKind(docs, 'ClusterRoleBinding').some((b) => JSON.stringify(b).includes('secrets')), 'no cluster-wide Secret access');
    const other = await template('ops2', 'ops2', []);
    assert.ok(byKind(other, 'ClusterRole').every((r) => r.metadata.name.startsWith('ops2-opsflow-')), 'another release gets its own names');
  });

  it('a chart whose rules drift from k8s/deploy is caught (the check can fail)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'opsflow-chart-'));
    cpSync(chartDir, copy, { recursive: true });
    const file = join(copy, 'templates', 'rbac.yaml');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('verbs: [get, list, delete, patch]'));
    writeFileSync(file, text.replace('verbs: [get, list, delete, patch]', 'verbs: [get, list, delete, patch, update]'));
    const { stdout } = await helm(['template', 'opsflow', copy, '-n', 'opsflow-system']);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as K8sDoc).filter(Boolean);
    assert.deepEqual(rbacDiff(docs), ['opsflow-worker: rules differ']);
    rmSync(copy, { recursive: true, force: true });
  });

  it('installs what k8s/deploy installs: same objects, rules, admission policies, disruption budgets and Pod specs (release opsflow, default values)', async () => {
    const docs = await template('opsflow', 'opsflow-system');
    assert.ok(shippedDocs.length >= 20, `${shippedDocs.length} objects in k8s/deploy`);
    assert.deepEqual(chartVsDeploy(docs, shippedDocs), []);
    // Another release's scope policy limits that release's own ServiceAccounts.
    const other = await template('ops2', 'ops2');
    const scope = other.find((d) => d.kind === 'ValidatingAdmissionPolicy' && d.metadata.name === 'ops2-opsflow-scope');
    assert.match(JSON.stringify(scope), /system:serviceaccount:ops2:ops2-opsflow-worker', 'system:serviceaccount:ops2:ops2-opsflow-watcher/);
    assert.ok(!(await template('opsflow', 'opsflow-system', ['admissionPolicies.enabled=false'])).some((d) => d.kind.startsWith('ValidatingAdmissionPolicy')));
  });

  it('a chart that lacks an object of k8s/deploy or renders one differently is caught (the check can fail)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'opsflow-chart-'));
    try {
      cpSync(chartDir, copy, { recursive: true });
      rmSync(join(copy, 'templates', 'user-roles.yaml'));
      const file = join(copy, 'templates', 'admission-policies.yaml');
      const text = readFileSync(file, 'utf8');
      assert.ok(text.includes("request.operation == 'CREATE' || variables.wasManaged"));
      writeFileSync(file, text.replace("request.operation == 'CREATE' || variables.wasManaged", 'true'));
      const { stdout } = await helm(['template', 'opsflow', copy, '-n', 'opsflow-system', '--set', 'worker.replicas=1']);
      const docs = parseAllDocuments(stdout).map((d) => d.toJS() as K8sDoc).filter(Boolean);
      assert.deepEqual(chartVsDeploy(docs, shippedDocs).sort(), [
        'ClusterRole opsflow-approver: missing', 'ClusterRole opsflow-requester: missing',
        'Deployment opsflow-system/opsflow-worker: replicas differs', 'PodDisruptionBudget opsflow-system/opsflow-worker: missing',
        'ValidatingAdmissionPolicy opsflow-scope: spec differs',
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('Temporal: TLS, mTLS from an existing Secret, server name and API key become the variables src/config.ts reads', async () => {
    const docs = await template('opsflow', 'opsflow-system', [
      'temporal.address=temporal.example.com:7233', 'temporal.tls.existingSecret=my-tls', 'temporal.tls.mtls=true',
      'temporal.tls.serverName=temporal.example.com', 'temporal.apiKey.existingSecret=my-key',
    ]);
    for (const name of ['opsflow-watcher', 'opsflow-worker']) {
      const env = containerEnv(docs, name);
      const v = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      assert.equal(v.TEMPORAL_ADDRESS, 'temporal.example.com:7233');
      assert.equal(v.TEMPORAL_TLS, 'true');
      assert.equal(v.TEMPORAL_TLS_CA_PATH, '/etc/opsflow/temporal-tls/ca.crt');
      assert.equal(v.TEMPORAL_TLS_CERT_PATH, '/etc/opsflow/temporal-tls/tls.crt');
      assert.equal(v.TEMPORAL_TLS_KEY_PATH, '/etc/opsflow/temporal-tls/tls.key');
      assert.equal(v.TEMPORAL_TLS_SERVER_NAME, 'temporal.example.com');
      assert.deepEqual(env.find((e) => e.name === 'TEMPORAL_API_KEY')?.valueFrom?.secretKeyRef, { name: 'my-key', key: 'api-key' });
    }
    assert.ok(!byKind(docs, 'Secret').length, 'an existing Secret is used, none created');
    const inline = await template('opsflow', 'opsflow-system', ['temporal.apiKey.value=s3cr3t']);
    const secret = byKind(inline, 'Secret')[0] as (K8sDoc & { data: Record<string, string> }) | undefined;
    assert.equal(Buffer.from(secret?.data['api-key'] ?? '', 'base64').toString(), 's3cr3t');
    assert.ok(!JSON.stringify(byKind(inline, 'Deployment')).includes('s3cr3t'), 'the key is never in a Deployment');
  });

  it('monitoring: the ServiceMonitor selects both metrics Services, the PrometheusRule carries the alerts, the dashboard ConfigMap its JSON', async () => {
    const docs = await template('opsflow', 'opsflow-system', ['metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true', 'metrics.grafanaDashboard.enabled=true']);
    const sm = byKind(docs, 'ServiceMonitor')[0] as (K8sDoc & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> } }) | undefined;
    const services = byKind(docs, 'Service') as Array<K8sDoc & { metadata: { labels: Record<string, string> }; spec: { ports: Array<{ name: string }> } }>;
    assert.equal(services.length, 2);
    for (const s of services) {
      assert.ok(Object.entries(sm?.spec.selector.matchLabels ?? {}).every(([k, v]) => s.metadata.labels[k] === v), `${s.metadata.name} selected`);
      assert.ok(s.spec.ports.some((p) => p.name === sm?.spec.endpoints[0]?.port));
    }
    const rule = byKind(docs, 'PrometheusRule')[0] as (K8sDoc & { spec: { groups: Array<{ rules: unknown[] }> } }) | undefined;
    assert.deepEqual(rule?.spec.groups.flatMap((g) => g.rules), alertRules());
    const cm = byKind(docs, 'ConfigMap')[0] as (K8sDoc & { data: Record<string, string> }) | undefined;
    assert.equal((JSON.parse(cm?.data['opsflow.json'] ?? '{}') as { uid?: string }).uid, 'opsflow-overview');
  });

  describe('on the real API server', () => {
    let ns: Awaited<ReturnType<typeof tempNamespace>>;
    before(async () => {
      await installCrdsAndCatalog();
      ns = await tempNamespace('helm-tpl');
      await clients().core.patchNamespace({ name: ns.name, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    });
    after(async () => { await ns?.remove(); });

    it('helm template --include-crds is accepted whole (server-side dry run), with no Pod Security warning', async () => {
      const docs = await template('opsflow-tpl', ns.name, [`databaseNamespaces={${ns.name}}`], ['--include-crds']);
      const kinds = new Set(docs.map((d) => d.kind));
      for (const k of ['CustomResourceDefinition', 'PostgresVersion', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'RoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']) assert.ok(kinds.has(k), k);
      const p = execFileAsync(bins.kubectl, ['--kubeconfig', kubeconfigPath, 'apply', '--dry-run=server', '--server-side', '--force-conflicts', '--field-manager', 'helm-dry-run', '-f', '-'], { maxBuffer: 64 << 20 });
      p.child.stdin?.end(docs.map((d) => stringify(d)).join('---\n'));
      const { stdout, stderr } = await p;
      assert.doesNotMatch(stderr, /PodSecurity|[Ww]arning/, stderr);
      for (const want of ['deployment.apps/opsflow-tpl-watcher', 'deployment.apps/opsflow-tpl-worker', 'clusterrole.rbac.authorization.k8s.io/opsflow-tpl-worker', 'postgresversion.opsflow.dev/16.13']) {
        assert.ok(stdout.includes(want), `${want} in:\n${stdout}`);
      }
    });
  });
});
