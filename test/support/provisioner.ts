// Runs the real provisioner in the test process against the local cluster.
import { loadPostgresScripts } from '../../src/engines/postgres/scripts.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { Provisioner } from '../../src/watcher/provisioner.ts';
import { kubeConfig } from './kube.ts';

export async function startProvisioner(namespace?: string): Promise<Provisioner> {
  const p = new Provisioner({
    kube: makeKube(kubeConfig()), log: createLogger({ component: 'provisioner-test' }, 'warn'),
    scripts: loadPostgresScripts(), resyncMs: 2_000, namespace,
  });
  await p.start();
  return p;
}
