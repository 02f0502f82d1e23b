// Activity logs carry their run: a logger that adds, at each line, the workflow id, the activity
// and the OpsRequest (namespace/name, from the workflow id) of the activity it is called from.
import { Context } from '@temporalio/activity';
import type { Fields, Logger } from '../logger.ts';
import { opsRequestOfWorkflowId } from '../temporal/ids.ts';

function activityFields(): Fields {
  let info;
  try {
    info = Context.current().info;
  } catch {
    return {}; // not inside an activity
  }
  const workflowId = info.workflowExecution?.workflowId;
  const opsRequest = workflowId ? opsRequestOfWorkflowId(workflowId) : undefined;
  return { workflowId, runId: info.workflowExecution?.runId, activity: info.activityType, attempt: info.attempt, ...(opsRequest ? { opsRequest } : {}) };
}

/** Wraps a logger so every line logged inside an activity carries that activity's run. */
export function withActivityContext(log: Logger): Logger {
  return {
    debug: (m, f) => log.debug(m, { ...activityFields(), ...f }),
    info: (m, f) => log.info(m, { ...activityFields(), ...f }),
    warn: (m, f) => log.warn(m, { ...activityFields(), ...f }),
    error: (m, f) => log.error(m, { ...activityFields(), ...f }),
    child: (f) => withActivityContext(log.child(f)),
  };
}
