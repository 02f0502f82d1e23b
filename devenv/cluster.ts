// The local Kubernetes control plane: kwokctl's binary runtime running the real etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built by infra/build-kubernetes.sh, plus fake kwok nodes.
import { existsSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { bins, stateDir } from './paths.ts';
import { execFileAsync, log, waitFor } from './process.ts';
import { kwokStages } from './runtime/kwok-stages.ts';

export const clusterName = process.env.OPSFLOW_CLUSTER_NAME ?? 'opsflow';
const kwokWorkdir = join(stateDir, 'kwok');
export const clusterDir = join(kwokWorkdir, 'clusters', clusterName);
/** Stable kubeconfig path for tools and tests (a copy of kwokctl's own). */
export const kubeconfigPath = join(stateDir, `${clusterName}.kubeconfig`);
export const nodeCount = 3;

/**
 * Each fake node gets a Pod CIDR inside 127.0.0.0/8, so Pod IPs are loopback addresses. Two local
 * clusters on one machine (a developer's and CI's) need different networks: OPSFLOW_POD_NET.
 */
export const podNet = process.env.OPSFLOW_POD_NET ?? '127.1';
if (!/^127\.\d{1,3}$/.test(podNet)) throw new Error(`OPSFLOW_POD_NET must look like 127.<n> (got "${podNet}")`);
export const nodePodCidr = (i: number) => `${podNet}.${i}.0/24`;

function kwokEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KWOK_WORKDIR: kwokWorkdir, KWOK_KUBECTL_BINARY: bins.kubectl, PATH: `${join(bins.kubectl, '..')}:${process.env.PATH}` };
}

export function requireClusterBinaries(): void {
  const missing = Object.entries(bins)
    .filter(([k]) => k !== 'temporal' && k !== 'temporalTestServer')
    .filter(([, p]) => !existsSync(p))
    .map(([, p]) => p);
  if (missing.length > 0) {
    throw new Error(`local Kubernetes binaries missing (${missing.join(', ')}): run \`bash infra/setup.sh\` (or \`npm test\`, which runs it); the first build takes 10-20 minutes`);
  }
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = execFileAsync(bins.kubectl, ['--kubeconfig', kubeconfigPath, ...args], { maxBuffer: 64 << 20 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

export async function clusterHealthy(): Promise<boolean> {
  if (!existsSync(kubeconfigPath)) return false;
  try {
    const out = await kubectl(['get', '--raw', '/readyz', '--request-timeout=3s']);
    return out.trim() === 'ok';
  } catch {
    return false;
  }
}

function kwokctlConfig(): string {
  const cfg = {
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      bindAddress: '127.0.0.1',
      kubeApiserverBinary: bins.kubeApiserver,
      kubeControllerManagerBinary: bins.kubeControllerManager,
      kubeSchedulerBinary: bins.kubeScheduler,
      kwokControllerBinary: bins.kwok,
      etcdBinary: bins.etcd,
      kubeAuthorization: true,
      disableQPSLimits: true,
      // kwok serves `kubectl logs` from Logs objects; the local pod runtime creates one per Pod it
      // runs, naming its containers' log files (devenv/runtime/logs.ts).
      enableCRDs: ['Logs'],
    },
  };
  // Stages: kwok's defaults, except that Pods of the local pod runtime are left to it.
  return [cfg, ...kwokStages()].map((o) => stringify(o)).join('---\n');
}

function nodeManifest(i: number): object {
  const name = `kwok-node-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    spec: { podCIDR: nodePodCidr(i), podCIDRs: [nodePodCidr(i)] },
  };
}

/** Creates the cluster unless a healthy one answers; returns whether this call created it. */
export async function startCluster(): Promise<boolean> {
  if (await clusterHealthy()) {
    log(`cluster ${clusterName} already answers (kubeconfig ${kubeconfigPath}); reusing it`);
    return false;
  }
  requireClusterBinaries();
  mkdirSync(kwokWorkdir, { recursive: true });
  // A half-dead cluster from an earlier run is removed first.
  await execFileAsync(bins.kwokctl, ['delete', 'cluster', '--name', clusterName], { env: kwokEnv() }).catch(() => undefined);
  const configFile = join(kwokWorkdir, `${clusterName}.kwokctl.yaml`);
  writeFileSync(configFile, kwokctlConfig());
  log(`creating local cluster ${clusterName} (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)`);
  await execFileAsync(bins.kwokctl, [
    'create', 'cluster', '--name', clusterName, '--config', configFile, '--kubeconfig', '', '--wait', '2m',
  ], { env: kwokEnv(), maxBuffer: 16 << 20 });
  copyFileSync(join(clusterDir, 'kubeconfig.yaml'), kubeconfigPath);
  await waitFor('the kube-apiserver /readyz', clusterHealthy, 60_000);
  const nodes = Array.from({ length: nodeCount }, (_, i) => nodeManifest(i));
  await kubectl(['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'List', items: nodes }));
  await waitFor(`${nodeCount} Ready nodes`, async () => {
    const out = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
    return out.split('\n').filter((s) => s === 'True').length === nodeCount;
  }, 60_000);
  log(`cluster ${clusterName} is up: KUBECONFIG=${kubeconfigPath}`);
  return true;
}

export async function stopCluster(): Promise<void> {
  await execFileAsync(bins.kwokctl, ['delete', 'cluster', '--name', clusterName], { env: kwokEnv() }).catch((e: unknown) => {
    log(`kwokctl delete cluster failed: ${String(e)}`);
  });
  log(`cluster ${clusterName} deleted`);
}

