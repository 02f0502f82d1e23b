// Every exported history in test/histories replays against today's workflow code with no
// determinism error (a changed workflow must keep old runs replayable: patched() → deprecatePatch()).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { repoDir } from '../../devenv/paths.ts';
import { workflowInterceptors, workflowsPath } from '../support/worker.ts';

const dir = join(repoDir, 'test', 'histories');

describe('replay of exported histories', function () {
  this.timeout(120_000);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  it('has histories to replay', () => assert.ok(files.length > 0, 'test/histories is empty: export runs with scripts/export-history.ts'));
  for (const f of files) {
    it(`${f} replays with no determinism error`, async () => {
      const { workflowId, history } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { workflowId: string; history: unknown };
      await Worker.runReplayHistory({ workflowsPath, interceptors: workflowInterceptors, replayName: f }, proto.temporal.api.history.v1.History.fromObject(history as Record<string, unknown>), workflowId);
    });
  }
});
