// Workflow identity (pure): one workflow id per OpsRequest, derived from kind, namespace, name and
// UID, so a watcher restart, a resync, two watchers or the CLI always name the same run.
export interface OpsRef {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export function workflowIdFor(ref: OpsRef): string {
  return `${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}/${ref.uid}`;
}

export function workflowUrl(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}

/** The OpsRequest (namespace/name) a workflow id names, or undefined for another workflow id. */
export function opsRequestOfWorkflowId(workflowId: string): string | undefined {
  const m = /^[a-z]+opsrequest\/([^/]+)\/([^/]+)\/[^/]+$/.exec(workflowId);
  return m ? `${m[1]}/${m[2]}` : undefined;
}
