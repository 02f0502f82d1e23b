// Installs opsflow's CRDs and catalog into the local cluster (kubectl apply, then wait Established).
import { join } from 'node:path';
import { kubectl } from './cluster.ts';
import { repoDir } from './paths.ts';

export async function installCrdsAndCatalog(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoDir, 'k8s', 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', join(repoDir, 'k8s', 'crds')]);
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoDir, 'k8s', 'catalog')]);
}
