// Restarts the local data plane's daemon in the middle of a test, as a crash-and-restart would.
import assert from 'node:assert/strict';
import { runtimeRunning, startRuntime, stopRuntime } from '../../devenv/runtime/daemon.ts';
import { runtimeInfo } from '../../devenv/runtime/pods.ts';
import { eventually } from '../../devenv/process.ts';

/** Stops the runtime, runs whileDown (with no runtime at all), starts a new one and waits until it is up. */
export async function restartRuntime(whileDown: () => Promise<void>): Promise<void> {
  const oldRuntime = runtimeInfo()?.pid;
  await stopRuntime();
  assert.equal(runtimeRunning(), false);
  await whileDown();
  await startRuntime(false);
  await eventually('the new runtime is up', async () => {
    const info = runtimeInfo();
    return info && info.pid !== oldRuntime ? info : undefined;
  }, 30_000, 200);
}
