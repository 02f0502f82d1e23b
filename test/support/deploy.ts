// k8s/deploy in the local cluster: its ServiceAccounts and RBAC applied as they ship, the per-database
// namespace Secret bindings, and kubeconfigs that authenticate AS a ServiceAccount (TokenRequest).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { kubectl, kubeconfigPath } from '../../devenv/cluster.ts';
import { repoDir, stateDir } from '../../devenv/paths.ts';

export const deployDir = join(repoDir, 'k8s', 'deploy');
export const SYSTEM_NS = 'opsflow-system';
export const serviceAccount = (sa: 'opsflow-watcher' | 'opsflow-worker') => `system:serviceaccount:${SYSTEM_NS}:${sa}`;

/** Applies the namespace, ServiceAccounts and RBAC of k8s/deploy, unchanged. */
export async function installDeployRbac(): Promise<void> {
  for (const f of ['namespace.yaml', 'serviceaccounts.yaml', 'rbac.yaml']) await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(deployDir, f)]);
}

/** Applies k8s/deploy/database-namespace.yaml for another namespace than the examples' `demo`. */
export async function bindDatabaseNamespace(namespace: string): Promise<void> {
  const docs = parseAllDocuments(readFileSync(join(deployDir, 'database-namespace.yaml'), 'utf8')).map((d) => d.toJS() as { metadata: { namespace: string } });
  for (const d of docs) d.metadata.namespace = namespace;
  await kubectl(['apply', '-f', '-'], docs.map((d) => stringify(d)).join('---\n'));
}

/** `kubectl auth can-i` as a ServiceAccount: true for yes, false for no. */
export async function canI(sa: string, args: string[]): Promise<boolean> {
  let out: string;
  let stderr = '';
  try {
    out = await kubectl(['auth', 'can-i', `--as=${sa}`, ...args]);
  } catch (e) {
    out = (e as { stdout?: string }).stdout ?? '';
    stderr = (e as { stderr?: string }).stderr ?? '';
  }
  // A "no" with a warning (e.g. an unknown resource type) would make a denial pass for a typo.
  stderr = stderr.split('\n').filter((l) => l.trim() && !/is not namespace scoped/.test(l)).join('\n');
  if (stderr.trim() || !['yes', 'no'].includes(out.trim())) throw new Error(`kubectl auth can-i ${args.join(' ')}: ${out.trim()} ${stderr.trim()}`);
  return out.trim() === 'yes';
}

/** A kubeconfig for the local API server that authenticates with a fresh token of the ServiceAccount. */
export async function serviceAccountKubeconfig(sa: string, namespace: string = SYSTEM_NS): Promise<string> {
  const token = (await kubectl(['create', 'token', sa, '-n', namespace, '--duration=2h'])).trim();
  const admin = JSON.parse(await kubectl(['config', 'view', '--minify', '--flatten', '-o', 'json'])) as {
    clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  };
  const cluster = admin.clusters[0];
  if (!cluster) throw new Error(`no cluster in ${kubeconfigPath}`);
  const config = {
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: cluster.name, cluster: cluster.cluster }],
    users: [{ name: sa, user: { token } }],
    contexts: [{ name: sa, context: { cluster: cluster.name, user: sa } }],
    'current-context': sa,
  };
  const dir = join(stateDir, 'test-kubeconfigs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, namespace === SYSTEM_NS ? `${sa}.kubeconfig` : `${namespace}-${sa}.kubeconfig`);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** Applies k8s/deploy/user-roles.yaml and binds opsflow-approver (and opsflow-requester) to users in a namespace. */
export async function bindUsers(namespace: string, role: 'opsflow-approver' | 'opsflow-requester', users: string[]): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(deployDir, 'user-roles.yaml')]);
  await kubectl(['apply', '-f', '-'], stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: role, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: users.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
  }));
}
