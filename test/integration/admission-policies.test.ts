// k8s/deploy/admission-policies.yaml on the real API server, with real users (impersonation from the
// admin kubeconfig, as kubectl --as does): an approval names the authenticated user or is refused,
// never comes with the manifest, never from the requester; opsflow's ServiceAccounts may delete or
// change only objects labelled app.kubernetes.io/managed-by=opsflow, whatever their RBAC allows.
import assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { bindDatabaseNamespace, bindUsers, installDeployRbac, serviceAccount } from '../support/deploy.ts';
import { eventually, kubeConfig, tempNamespace } from '../support/kube.ts';

/** kubectl's result: ok, or the API server's refusal text. */
async function attempt(args: string[], input?: string): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await kubectl(args, input);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `${(e as { stderr?: string }).stderr ?? ''}${e instanceof Error ? e.message : String(e)}` };
  }
}

async function refused(args: string[], why: RegExp, input?: string): Promise<void> {
  const r = await attempt(args, input);
  assert.ok(!r.ok, `kubectl ${args.join(' ')} should be refused`);
  assert.match(r.error, why);
}

async function allowed(args: string[], input?: string): Promise<void> {
  const r = await attempt(args, input);
  assert.ok(r.ok, `kubectl ${args.join(' ')}: ${r.ok ? '' : r.error}`);
}

describe('admission policies (real API server, impersonated users)', function () {
  this.timeout(120_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;

  before(async () => {
    await installCrdsAndCatalog(); // includes the admission policies
    await installDeployRbac();
    ns = await tempNamespace('vap');
    await bindDatabaseNamespace(ns.name);
    await bindUsers(ns.name, 'opsflow-requester', ['alice']);
    await bindUsers(ns.name, 'opsflow-approver', ['alice', 'bob']);
  });
  after(async () => {
    await ns?.remove();
  });

  const ops = (name: string, annotations: Record<string, string>, approval = 'Required') => stringify({
    apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name, namespace: ns.name, annotations },
    spec: { type: 'Restart', databaseRef: { name: 'pg' }, approval },
  });
  const annotate = (user: string, name: string, kv: string) => ['annotate', `--as=${user}`, '-n', ns.name, 'pgops', name, kv, '--overwrite'];

  it('an OpsRequest cannot be created approved, and a supervised one names its real requester', async () => {
    // The policy takes effect a moment after it is installed.
    await eventually('opsflow-approval in effect', async () => {
      const r = await attempt(['create', '--as=alice', '-f', '-'], ops('pre-approved', { 'opsflow.dev/requested-by': 'alice', 'opsflow.dev/approved-by': 'alice' }));
      return !r.ok && /cannot be created approved/.test(r.error) ? true : undefined;
    }, 30_000, 500);
    await refused(['create', '--as=alice', '-f', '-'], /requested-by\]: required when spec\.approval is Required; set it to your user name \(alice\)/, ops('anonymous', {}));
    await refused(['create', '--as=alice', '-f', '-'], /requested-by\]: must be your own user name \(alice\), not bob/, ops('as-bob', { 'opsflow.dev/requested-by': 'bob' }));
    await allowed(['create', '--as=alice', '-f', '-'], ops('unsupervised', {}, 'Automatic'));
    await allowed(['create', '--as=alice', '-f', '-'], ops('restart-pg', { 'opsflow.dev/requested-by': 'alice' }));
  });

  it('approval: a forged approver name and self-approval are refused; the authenticated approver is accepted', async () => {
    await refused(annotate('bob', 'restart-pg', 'opsflow.dev/approved-by=alice'), /approved-by\]: must be your own user name \(bob\), not alice/);
    await refused(annotate('alice', 'restart-pg', 'opsflow.dev/approved-by=alice'), /alice requested this OpsRequest and cannot approve it/);
    await refused(annotate('bob', 'restart-pg', 'opsflow.dev/requested-by=bob'), /requested-by\]: cannot be changed after creation/);
    await allowed(annotate('bob', 'restart-pg', 'opsflow.dev/approved-by=bob'));
    // Once approved, nobody rewrites the approver to someone else's name.
    await refused(annotate('alice', 'restart-pg', 'opsflow.dev/approved-by=carol'), /must be your own user name \(alice\), not carol/);
    const got = JSON.parse(await kubectl(['get', '-n', ns.name, 'pgops', 'restart-pg', '-o', 'json'])) as { metadata: { annotations: Record<string, string> } };
    assert.equal(got.metadata.annotations['opsflow.dev/approved-by'], 'bob');
    // Other updates of an approved request (the watcher's finalizer) still pass.
    await allowed(['patch', '-n', ns.name, 'pgops', 'restart-pg', '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}']);
  });

  it("opsflow's ServiceAccounts: only objects labelled managed-by=opsflow, whatever RBAC allows", async () => {
    const worker = `--as=${serviceAccount('opsflow-worker')}`;
    const pod = (name: string, labels: Record<string, string>) => stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns.name, labels },
      // Never scheduled: no node matches, so no runtime acts on it.
      spec: { nodeSelector: { 'opsflow-test/no-such-node': 'true' }, containers: [{ name: 'c', image: 'postgres:16.13' }] },
    });
    await kubectl(['apply', '-f', '-'], pod('someone-elses', { app: 'other' }));
    await kubectl(['apply', '-f', '-'], pod('ours', { 'app.kubernetes.io/managed-by': 'opsflow' }));
    await eventually('opsflow-scope in effect', async () => {
      const r = await attempt(['delete', worker, '-n', ns.name, 'pod', 'someone-elses', '--dry-run=server']);
      return !r.ok && /may only change or delete objects labelled app\.kubernetes\.io\/managed-by=opsflow; pods .*someone-elses is not/.test(r.error) ? true : undefined;
    }, 30_000, 500);
    await allowed(['delete', worker, '-n', ns.name, 'pod', 'ours', '--dry-run=server']);
    // The watcher's RBAC has patch but no get on Pods (kubectl patch reads first): a merge patch
    // through client-node impersonating the ServiceAccount, as the provisioner sends it.
    const kc = kubeConfig();
    const user = kc.getCurrentUser();
    kc.loadFromOptions({ clusters: kc.clusters, contexts: kc.contexts, currentContext: kc.getCurrentContext(),
      users: kc.users.map((u) => (u.name === user?.name ? { ...u, impersonateUser: serviceAccount('opsflow-watcher') } : u)) });
    const asWatcher = kc.makeApiClient(CoreV1Api);
    const relabel = async (name: string, labels: Record<string, string | null>): Promise<{ ok: true } | { ok: false; error: string }> => {
      try {
        await asWatcher.patchNamespacedPod({ name, namespace: ns.name, body: { metadata: { labels } }, dryRun: 'All' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        return { ok: true };
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
    };
    const denied = async (r: Promise<{ ok: true } | { ok: false; error: string }>, why: RegExp) => {
      const x = await r;
      assert.ok(!x.ok && why.test(x.error), JSON.stringify(x));
    };
    await denied(relabel('someone-elses', { 'opsflow.dev/role': 'primary' }), /may only change or delete objects labelled/);
    assert.deepEqual(await relabel('ours', { 'opsflow.dev/role': 'primary' }), { ok: true });
    await denied(relabel('ours', { 'app.kubernetes.io/managed-by': null }), /may only write objects labelled/);
    await refused(['create', worker, '-n', ns.name, 'secret', 'generic', 'loot', '--from-literal=a=b', '--dry-run=server'], /may only write objects labelled/);
    // The admin (not an opsflow ServiceAccount) is not limited.
    await allowed(['delete', '-n', ns.name, 'pod', 'someone-elses', '--dry-run=server']);
  });
});
