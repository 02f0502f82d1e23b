// k8s/deploy's RBAC on the real kube-apiserver: each ServiceAccount can do what its process's code
// calls, and nothing beyond (no Secret listing, no Secrets outside the database namespaces it was
// given, no deletes it does not do, nothing cluster-admin-like).
import assert from 'node:assert/strict';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { bindDatabaseNamespace, canI, installDeployRbac, serviceAccount } from '../support/deploy.ts';
import { tempNamespace } from '../support/kube.ts';

describe('k8s/deploy RBAC (real API server, kubectl auth can-i)', function () {
  this.timeout(120_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let other: Awaited<ReturnType<typeof tempNamespace>>;

  before(async () => {
    await installCrdsAndCatalog();
    await installDeployRbac();
    ns = await tempNamespace('rbac');
    other = await tempNamespace('rbac-other');
    await bindDatabaseNamespace(ns.name);
  });
  after(async () => {
    await ns?.remove();
    await other?.remove();
  });

  const check = async (sa: string, want: boolean, cases: string[][]) => {
    const wrong: string[] = [];
    for (const c of cases) {
      const args = c.map((a) => a.replace('$NS', ns.name).replace('$OTHER', other.name));
      if ((await canI(sa, args)) !== want) wrong.push(args.join(' '));
    }
    assert.deepEqual(wrong, [], `${sa} should ${want ? '' : 'NOT '}be allowed: ${wrong.join('; ')}`);
  };

  const watcher = serviceAccount('opsflow-watcher');
  const worker = serviceAccount('opsflow-worker');

  it('the watcher can do everything the provisioner and the OpsRequest watcher call', () => check(watcher, true, [
    ['list', 'postgreses.opsflow.dev', '--all-namespaces'], ['watch', 'postgreses.opsflow.dev', '--all-namespaces'],
    ['list', 'singlestores.opsflow.dev', '--all-namespaces'], ['watch', 'proxysqls.opsflow.dev', '--all-namespaces'],
    ['get', 'postgreses.opsflow.dev', '-n', '$NS'], ['update', 'postgreses.opsflow.dev', '--subresource=status', '-n', '$NS'],
    ['update', 'postgreses.opsflow.dev', '--subresource=finalizers', '-n', '$NS'],
    ['list', 'postgresopsrequests.opsflow.dev', '--all-namespaces'], ['watch', 'singlestoreopsrequests.opsflow.dev', '--all-namespaces'],
    ['patch', 'postgresopsrequests.opsflow.dev', '-n', '$NS'], ['update', 'proxysqlopsrequests.opsflow.dev', '--subresource=status', '-n', '$NS'],
    ['create', 'postgresopsrequests.opsflow.dev', '-n', '$NS'], ['create', 'singlestoreopsrequests.opsflow.dev', '-n', '$NS'],
    ['get', 'postgresversions.opsflow.dev'], ['get', 'singlestoreversions.opsflow.dev'],
    ['list', 'statefulsets.apps', '--all-namespaces'], ['watch', 'statefulsets.apps', '--all-namespaces'],
    ['get', 'statefulsets.apps', '-n', '$NS'], ['create', 'statefulsets.apps', '-n', '$NS'], ['patch', 'statefulsets.apps', '-n', '$NS'],
    ['list', 'pods', '--all-namespaces'], ['watch', 'pods', '--all-namespaces'], ['patch', 'pods', '-n', '$NS'],
    ['create', 'services', '-n', '$NS'], ['patch', 'services', '-n', '$NS'], ['create', 'configmaps', '-n', '$NS'], ['patch', 'configmaps', '-n', '$NS'],
    ['get', 'secrets', '-n', '$NS'], ['create', 'secrets', '-n', '$NS'], ['patch', 'secrets', '-n', '$NS'],
    ['list', 'persistentvolumeclaims', '-n', '$NS'], ['get', 'storageclasses.storage.k8s.io'],
    // Conditional applies read each child's resourceVersion; a pause whose run closed is cleared with an Event.
    ['get', 'services', '-n', '$NS'], ['get', 'configmaps', '-n', '$NS'],
    ['patch', 'postgreses.opsflow.dev', '-n', '$NS'], ['create', 'events.events.k8s.io', '-n', '$NS'],
    // Leader election: its own Lease in opsflow-system.
    ['get', 'leases.coordination.k8s.io', '-n', 'opsflow-system'], ['create', 'leases.coordination.k8s.io', '-n', 'opsflow-system'],
    ['update', 'leases.coordination.k8s.io', '-n', 'opsflow-system'],
  ]));

  it('the watcher is denied the rest', () => check(watcher, false, [
    ['list', 'secrets', '-n', '$NS'], ['watch', 'secrets', '-n', '$NS'], ['delete', 'secrets', '-n', '$NS'],
    ['get', 'secrets', '-n', 'kube-system'], ['get', 'secrets', '-n', '$OTHER'], ['create', 'secrets', '-n', '$OTHER'],
    ['delete', 'pods', '-n', '$NS'], ['delete', 'statefulsets.apps', '-n', '$NS'], ['delete', 'services', '-n', '$NS'],
    ['delete', 'postgreses.opsflow.dev', '-n', '$NS'], ['delete', 'persistentvolumeclaims', '-n', '$NS'], ['delete', 'postgresopsrequests.opsflow.dev', '-n', '$NS'],
    ['create', 'postgresversions.opsflow.dev'], ['create', 'pods', '--subresource=exec', '-n', '$NS'],
    ['update', 'leases.coordination.k8s.io', '-n', 'kube-system'], ['update', 'leases.coordination.k8s.io', '-n', '$NS'], ['delete', 'leases.coordination.k8s.io', '-n', 'opsflow-system'],
    ['create', 'clusterroles'], ['create', 'clusterrolebindings'], ['update', 'nodes'], ['create', 'namespaces'],
    ['create', 'customresourcedefinitions.apiextensions.k8s.io'], ['*', '*'],
  ]));

  it('the worker can do everything the activities call', () => check(worker, true, [
    ['get', 'postgreses.opsflow.dev', '-n', '$NS'], ['patch', 'postgreses.opsflow.dev', '-n', '$NS'], ['patch', 'singlestores.opsflow.dev', '-n', '$NS'],
    ['update', 'postgreses.opsflow.dev', '--subresource=status', '-n', '$NS'],
    ['get', 'postgresopsrequests.opsflow.dev', '-n', '$NS'], ['list', 'postgresopsrequests.opsflow.dev', '-n', '$NS'],
    ['update', 'postgresopsrequests.opsflow.dev', '--subresource=status', '-n', '$NS'],
    ['get', 'postgresversions.opsflow.dev'],
    ['get', 'statefulsets.apps', '-n', '$NS'], ['patch', 'statefulsets.apps', '-n', '$NS'],
    // VolumeExpansion: the StatefulSet deleted (orphan cascade) and created again with the new claim size.
    ['delete', 'statefulsets.apps', '-n', '$NS'], ['create', 'statefulsets.apps', '-n', '$NS'], ['patch', 'persistentvolumeclaims', '-n', '$NS'],
    ['get', 'pods', '-n', '$NS'], ['delete', 'pods', '-n', '$NS'], ['list', 'pods', '-n', '$NS'], ['patch', 'pods', '-n', '$NS'], ['get', 'services', '-n', '$NS'],
    ['create', 'events.events.k8s.io', '-n', '$NS'],
    ['get', 'secrets', '-n', '$NS'], ['create', 'secrets', '-n', '$NS'], ['patch', 'secrets', '-n', '$NS'],
  ]));

  it('the worker is denied the rest', () => check(worker, false, [
    ['list', 'secrets', '-n', '$NS'], ['watch', 'secrets', '-n', '$NS'], ['delete', 'secrets', '-n', '$NS'],
    ['get', 'secrets', '-n', 'kube-system'], ['get', 'secrets', '-n', '$OTHER'], ['create', 'secrets', '-n', '$OTHER'], ['patch', 'secrets', '-n', 'kube-system'],
    ['watch', 'pods', '-n', '$NS'], ['create', 'pods', '-n', '$NS'], ['create', 'pods', '--subresource=exec', '-n', '$NS'], ['patch', 'services', '-n', '$NS'],
    ['delete', 'persistentvolumeclaims', '-n', '$NS'], ['delete', 'persistentvolumes'],
    ['watch', 'postgreses.opsflow.dev', '--all-namespaces'], ['delete', 'postgreses.opsflow.dev', '-n', '$NS'],
    ['patch', 'postgresopsrequests.opsflow.dev', '-n', '$NS'], ['delete', 'postgresopsrequests.opsflow.dev', '-n', '$NS'],
    ['create', 'postgresopsrequests.opsflow.dev', '-n', '$NS'],
    ['create', 'clusterroles'], ['update', 'nodes'], ['create', 'namespaces'], ['*', '*'],
  ]));
});
