// Approval of OpsRequests whose spec.approval is Required: the annotation that records who approved
// (set by `opsflow approve`, or by hand with kubectl; the watcher forwards it to the run).
export const APPROVED_BY_ANNOTATION = 'opsflow.dev/approved-by';
