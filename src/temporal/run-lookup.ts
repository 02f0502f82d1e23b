// Whether an OpsRequest's run is still open, for activities that must not wait on closed runs
// (WaitForTurn) and for the provisioner's stale-pause check.
import type { Client } from '@temporalio/client';

export type RunState = 'open' | 'closed' | 'absent';

export interface RunLookup {
  state(workflowId: string): Promise<RunState>;
}

export function runLookup(client: Client): RunLookup {
  return {
    async state(workflowId) {
      try {
        const d = await client.workflow.getHandle(workflowId).describe();
        return d.status.name === 'RUNNING' ? 'open' : 'closed';
      } catch (e) {
        if ((e as { name?: string }).name === 'WorkflowNotFoundError') return 'absent';
        throw e;
      }
    },
  };
}
