// Temporal connection and OpsRequest → workflow start, shared by the watcher and the CLI so both
// start the same workflow id with the same policies (they never race into two runs).
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import type { Config } from '../config.ts';
import type { OpsInput } from '../workflows/shared.ts';
import { PHASE_ATTRIBUTE } from '../workflows/search-attributes.ts';
import { databaseNameOf } from '../workflows/shared.ts';
import { temporalConnectionOptions } from './connection.ts';
import { workflowTypeFor } from '../api/registry.ts';
import { workflowIdFor, workflowUrl } from './ids.ts';

export async function connectClient(cfg: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(cfg));
  return new Client({ connection, namespace: cfg.namespace });
}

export const searchAttributes = {
  database: defineSearchAttributeKey('OpsflowDatabase', SearchAttributeType.KEYWORD),
  namespace: defineSearchAttributeKey('OpsflowNamespace', SearchAttributeType.KEYWORD),
  type: defineSearchAttributeKey('OpsflowType', SearchAttributeType.KEYWORD),
  targetVersion: defineSearchAttributeKey('OpsflowTargetVersion', SearchAttributeType.KEYWORD),
  /** The OpsRequest's phase, Pending at start, then upserted by the run (src/workflows/search-attributes.ts). */
  phase: PHASE_ATTRIBUTE,
};


export interface StartedRun {
  id: string;
  runId?: string;
  url: string;
  alreadyStarted: boolean;
}

/**
 * Starts the OpsRequest's workflow idempotently: a running one is reused (conflict policy), a
 * finished one is never started again (reuse policy).
 */
export async function startOpsWorkflow(client: Client, cfg: Config['temporal'], input: OpsInput): Promise<StartedRun> {
  const type = workflowTypeFor(input.kind, input.spec.type);
  if (!type) throw new Error(`${input.kind} type ${input.spec.type} is not supported yet`);
  const id = workflowIdFor(input);
  try {
    const handle = await client.workflow.start(type, {
      workflowId: id,
      taskQueue: cfg.taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: searchAttributes.database, value: databaseNameOf(input) },
        { key: searchAttributes.namespace, value: input.namespace },
        { key: searchAttributes.type, value: input.spec.type },
        { key: searchAttributes.phase, value: 'Pending' },
        ...(input.spec.updateVersion ? [{ key: searchAttributes.targetVersion, value: input.spec.updateVersion.targetVersion }] : []),
      ]),
      staticSummary: `${input.spec.type} ${input.namespace}/${databaseNameOf(input)}${input.spec.updateVersion ? ` → ${input.spec.updateVersion.targetVersion}` : ''} (${input.kind} ${input.name})`,
    });
    const runId = handle.firstExecutionRunId;
    return { id, runId, url: workflowUrl(cfg.uiUrl, cfg.namespace, id, runId), alreadyStarted: false };
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    const desc = await client.workflow.getHandle(id).describe();
    return { id, runId: desc.runId, url: workflowUrl(cfg.uiUrl, cfg.namespace, id, desc.runId), alreadyStarted: true };
  }
}
