// The whole kustomization (CRDs, catalog, namespace, RBAC, Deployments) is accepted by the real API
// server (server-side dry run), and its Pods pass the namespace's Pod Security `restricted` level
// (the admission plugin warns on workloads that would violate it; a non-compliant copy shows it does).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileAsync } from '../../devenv/process.ts';
import { kubeconfigPath } from '../../devenv/cluster.ts';
import { bins, repoDir } from '../../devenv/paths.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { installDeployRbac } from '../support/deploy.ts';

async function dryRun(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const p = execFileAsync(bins.kubectl, ['--kubeconfig', kubeconfigPath, 'apply', '--dry-run=server', ...args], { maxBuffer: 64 << 20 });
  if (input !== undefined) p.child.stdin?.end(input);
  return p;
}

describe('k8s/kustomization.yaml on the real API server', function () {
  this.timeout(120_000);
  before(async () => {
    await installCrdsAndCatalog();
    await installDeployRbac(); // the namespace must exist for a dry run of what goes in it
  });

  it('is accepted whole (server-side dry run), with no Pod Security warning', async () => {
    const { stdout, stderr } = await dryRun(['--server-side', '--force-conflicts', '-k', join(repoDir, 'k8s')]);
    for (const want of ['deployment.apps/opsflow-watcher', 'deployment.apps/opsflow-worker', 'clusterrole.rbac.authorization.k8s.io/opsflow-worker', 'customresourcedefinition.apiextensions.k8s.io/postgresopsrequests.opsflow.dev']) {
      assert.ok(stdout.includes(want), `${want} in:\n${stdout}`);
    }
    assert.doesNotMatch(stderr, /PodSecurity/, stderr);
  });

  it('a Deployment that ran as root would be flagged (the check above can fail)', async () => {
    const rooted = readFileSync(join(repoDir, 'k8s', 'deploy', 'worker.yaml'), 'utf8').replace('runAsNonRoot: true', 'runAsNonRoot: false');
    const { stderr } = await dryRun(['-f', '-'], rooted);
    assert.match(stderr, /would violate PodSecurity "restricted/);
  });
});
