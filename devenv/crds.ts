// Installs opsflow's CRDs, catalog and admission policies into the local cluster (kubectl apply,
// then wait Established).
import { join } from 'node:path';
import { kubectl } from './cluster.ts';
import { repoDir } from './paths.ts';

export async function installCrdsAndCatalog(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoDir, 'k8s', 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(repoDir, 'k8s', 'crds')]);
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoDir, 'k8s', 'catalog')]);
  await installAdmissionPolicies();
}

/**
 * The admission policies of k8s/deploy (approval by the authenticated user; opsflow's ServiceAccounts
 * limited to the objects it manages): the local API server runs with them as a real cluster does.
 */
export async function installAdmissionPolicies(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoDir, 'k8s', 'deploy', 'admission-policies.yaml')]);
}
