// Container logs of the local pod runtime, served by `kubectl logs` through kwok.
//
// A container's process writes its raw output (stdout and stderr together) to a file of its own, one
// per start, so it keeps running when the runtime restarts. The runtime tails that file into the
// CRI log format the kubelet's log reader expects ("<RFC3339Nano> stdout F <line>"), which is what
// kwok's kubelet API reads (k8s.io/cri-client ReadLogs). One kwok `Logs` object per Pod (same name and
// namespace, owned by the Pod, so it is garbage-collected with it) names each container's current and
// previous log; the kwok controller watches Logs objects because the cluster is created with
// `enableCRDs: [Logs]` (devenv/cluster.ts).
import { appendFileSync, closeSync, existsSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { PatchStrategy, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { isApiError, type Kube } from '../../src/k8s/client.ts';

/** Tails one raw output file into a CRI-format log file; resumable from a byte offset. */
export class LogPump {
  constructor(readonly raw: string, readonly out: string, public offset = 0) {}

  /** Converts the complete lines written since the last call; with final, the partial last line too. */
  pump(final = false): boolean {
    if (!existsSync(this.raw)) return false;
    const size = statSync(this.raw).size;
    if (size < this.offset) this.offset = 0; // truncated
    if (size === this.offset) return false;
    const fd = openSync(this.raw, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(Math.min(size - this.offset, 4 << 20));
      readSync(fd, chunk, 0, chunk.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const lastNl = chunk.lastIndexOf(0x0a);
    const usable = final ? chunk.length : lastNl + 1;
    if (usable <= 0) return false;
    const text = chunk.subarray(0, usable).toString('utf8');
    const now = new Date().toISOString();
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    appendFileSync(this.out, lines.map((l) => `${now} stdout F ${l}\n`).join(''));
    this.offset += usable;
    return true;
  }
}

/** Starts a new current log for a container start: the old one becomes the previous log. */
export function rotateCriLog(current: string, previous: string): void {
  if (existsSync(current)) renameSync(current, previous);
  writeFileSync(current, '');
}

export interface ContainerLogFiles {
  container: string;
  current: string;
  previous: string;
}

let logsCrdMissing = false;

/** Creates or updates the kwok Logs object of a Pod. Returns false when the cluster has no Logs CRD. */
export async function applyPodLogs(kube: Kube, pod: V1Pod, files: ContainerLogFiles[]): Promise<boolean> {
  if (logsCrdMissing) return false;
  const body = {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Logs',
    metadata: {
      name: pod.metadata?.name,
      namespace: pod.metadata?.namespace,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' }],
    },
    spec: {
      logs: files.map((f) => ({ containers: [f.container], logsFile: f.current, previousLogsFile: f.previous, follow: true })),
    },
  };
  try {
    await kube.objects.patch(body as KubernetesObject, undefined, undefined, 'opsflow-local-runtime', true, PatchStrategy.ServerSideApply);
    return true;
  } catch (e) {
    if (isApiError(e, 404) || /not find the requested resource|unable to find api field|no matches for kind/i.test(String(e))) {
      logsCrdMissing = true; // a cluster created before Logs were enabled: recreate it to get `kubectl logs`
      return false;
    }
    throw e;
  }
}
