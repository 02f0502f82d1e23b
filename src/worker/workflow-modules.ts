// Where the worker's workflow bundle comes from: the workflows and the workflow interceptors (activity
// summaries; a Failed OpsRequest fails its run). Shared by the worker, the test workers and the replay test, so all run the same bundle.
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const workflowInterceptors = {
  workflowModules: [
    fileURLToPath(new URL('../workflows/summaries.ts', import.meta.url)),
    fileURLToPath(new URL('../workflows/failed-runs.ts', import.meta.url)),
  ],
};
