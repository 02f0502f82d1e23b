// The approval as the API server admitted it: the annotation on the OpsRequest, read by the run
// after an approve signal (a signal alone, which anyone with Temporal access can send, approves nothing).
import { approvalOf, type ApprovalVerdict } from '../api/approval.ts';
import { getCustom } from '../k8s/resources.ts';
import type { ActivityDeps } from './deps.ts';
import type { OpsObjectRef } from './opsrequest.ts';

export function approvalActivities({ kube }: ActivityDeps) {
  return {
    async readApproval(ref: OpsObjectRef): Promise<ApprovalVerdict> {
      const ops = await getCustom<{ metadata?: { uid?: string; annotations?: Record<string, string> } }>(kube, ref);
      if (ops.metadata?.uid !== ref.uid) return { refused: 'the OpsRequest was replaced by another with the same name' };
      return approvalOf(ops.metadata.annotations);
    },
  };
}
