// Approval of OpsRequests whose spec.approval is Required. Both annotations are checked by the API
// server (k8s/deploy/admission-policies.yaml, policy opsflow-approval): approved-by may only name the
// user who sets it, never at creation and never the requester; requested-by names the creating user.
export const APPROVED_BY_ANNOTATION = 'opsflow.dev/approved-by';
export const REQUESTED_BY_ANNOTATION = 'opsflow.dev/requested-by';

export type ApprovalVerdict = { approvedBy: string } | { refused: string };

/**
 * Pure: who approved, from the OpsRequest as the API server holds it (the approve signal only wakes
 * the run; what counts is the annotation the API server admitted).
 */
export function approvalOf(annotations: Record<string, string> | undefined): ApprovalVerdict {
  const by = annotations?.[APPROVED_BY_ANNOTATION];
  if (!by) return { refused: `the OpsRequest carries no ${APPROVED_BY_ANNOTATION} annotation (opsflow approve sets it as the authenticated user)` };
  if (by === annotations[REQUESTED_BY_ANNOTATION]) return { refused: `${by} requested this OpsRequest and cannot approve it` };
  return { approvedBy: by };
}
