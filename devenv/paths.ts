// Where the local stack's pinned binaries and state live (mirrors infra/lib.sh and infra/versions.env).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoDir = resolve(import.meta.dirname, '..');

function readVersions(): Record<string, string> {
  const text = readFileSync(join(repoDir, 'infra', 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=("?)(.*)\2$/.exec(line.trim());
    if (m?.[1] && m[3] !== undefined) out[m[1]] = m[3];
  }
  return out;
}

export const versions = readVersions();

function version(name: string): string {
  const v = versions[name];
  if (!v) throw new Error(`infra/versions.env has no ${name}`);
  return v;
}

export const cacheDir = process.env.OPSFLOW_CACHE ?? join(homedir(), '.cache', 'opsflow');
export const stateDir = process.env.OPSFLOW_STATE ?? join(cacheDir, 'state');

export const bins = {
  temporal: join(cacheDir, `temporal-cli-${version('TEMPORAL_CLI_VERSION')}-ts-${version('TEMPORAL_TEST_SERVER_VERSION')}`, 'bin', 'temporal'),
  temporalTestServer: join(cacheDir, `temporal-cli-${version('TEMPORAL_CLI_VERSION')}-ts-${version('TEMPORAL_TEST_SERVER_VERSION')}`, 'bin', 'temporal-test-server'),
  kubeApiserver: join(cacheDir, `kubernetes-${version('KUBERNETES_VERSION')}`, 'bin', 'kube-apiserver'),
  kubeControllerManager: join(cacheDir, `kubernetes-${version('KUBERNETES_VERSION')}`, 'bin', 'kube-controller-manager'),
  kubeScheduler: join(cacheDir, `kubernetes-${version('KUBERNETES_VERSION')}`, 'bin', 'kube-scheduler'),
  kubectl: join(cacheDir, `kubernetes-${version('KUBERNETES_VERSION')}`, 'bin', 'kubectl'),
  etcd: join(cacheDir, `etcd-${version('ETCD_VERSION')}`, 'bin', 'etcd'),
  kwok: join(cacheDir, `kwok-${version('KWOK_VERSION')}`, 'bin', 'kwok'),
  kwokctl: join(cacheDir, `kwok-${version('KWOK_VERSION')}`, 'bin', 'kwokctl'),
  helm: join(cacheDir, `helm-${version('HELM_VERSION')}`, 'bin', 'helm'),
};

export const kubernetesVersion = version('KUBERNETES_VERSION');
