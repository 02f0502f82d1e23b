// The pinned `helm` (infra/build-helm.sh) against the local cluster, for the chart's tests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeconfigPath } from '../../devenv/cluster.ts';
import { bins, repoDir, stateDir } from '../../devenv/paths.ts';
import { execFileAsync } from '../../devenv/process.ts';

export const chartDir = join(repoDir, 'charts', 'opsflow');

export interface K8sDoc { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: unknown }

/** Runs helm; rejects with its stderr (exit code ≠ 0). */
export async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!existsSync(bins.helm)) throw new Error(`helm is not installed at ${bins.helm}: run \`bash infra/setup.sh\` (it builds helm from the Go module proxy)`);
  return execFileAsync(bins.helm, ['--kubeconfig', kubeconfigPath, ...args], { maxBuffer: 64 << 20, env: { ...process.env, HELM_CACHE_HOME: join(stateDir, 'helm', 'cache'), HELM_CONFIG_HOME: join(stateDir, 'helm', 'config'), HELM_DATA_HOME: join(stateDir, 'helm', 'data') } });
}

/** helm's error text (stderr) of a failed call, or '' when it succeeded. */
export async function helmError(args: string[]): Promise<string> {
  try {
    await helm(args);
    return '';
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e);
  }
}

/** `helm template` of the chart with --set pairs: the rendered objects. */
export async function template(release: string, namespace: string, set: string[] = [], extra: string[] = []): Promise<K8sDoc[]> {
  const { stdout } = await helm(['template', release, chartDir, '-n', namespace, ...set.flatMap((s) => ['--set', s]), ...extra]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sDoc | null).filter((d): d is K8sDoc => Boolean(d));
}
