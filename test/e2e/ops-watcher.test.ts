// The OpsRequest watcher with the real API server, the real Temporal dev server and a worker:
// exactly one workflow per OpsRequest (even with two watchers and resyncs), the run recorded in
// status, and deletion cancelling the run while the database is still resumed.
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { getCondition } from '../../src/api/conditions.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { OpsWatcher } from '../../src/watcher/ops-watcher.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';
import { startWorker, testConfig } from '../support/worker.ts';

describe('OpsRequest watcher (real API server, real Temporal)', function () {
  this.timeout(240_000);
  const taskQueue = uniqueTaskQueue('watch');
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let provisioner: Provisioner;
  let client: Client;
  let watchers: OpsWatcher[] = [];
  let worker: { stop: () => Promise<void> };

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('watch');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
    // The sync check holds (heartbeating) until cancelled, so a rollout can be caught mid-way.
    worker = await startWorker(taskQueue, {
      checkPostgresSync: async () => {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(200);
        }
      },
    });
    // Two watchers at once, with a fast resync, to try hard to start a second run.
    watchers = [1, 2].map((i) => new OpsWatcher({ kube: makeKube(kubeConfig()), client, temporal: testConfig(taskQueue).temporal, log: createLogger({ component: `watcher-${i}` }, 'warn'), resyncMs: 500, namespace: ns.name }));
    for (const w of watchers) await w.start();
  });
  after(async () => {
    for (const w of watchers) await w.stop();
    await worker?.stop();
    await provisioner?.stop();
    await ns?.remove();
  });

  it('starts exactly one workflow per OpsRequest and records it with a Web UI link', async () => {
    await o.readyPostgres('db1', '16.13', 1);
    const input = await o.pgops('same-version', { type: 'UpdateVersion', databaseRef: { name: 'db1' }, updateVersion: { targetVersion: '16.13' } });
    const ops = await eventually('the OpsRequest Skipped', async () => {
      const x = await o.ops('same-version');
      return x.status?.phase === 'Skipped' ? x : undefined;
    }, 60_000);
    const id = workflowIdFor(input);
    assert.equal(ops.status?.workflow?.id, id);
    assert.match(ops.status?.workflow?.url ?? '', new RegExp(`^http://127\\.0\\.0\\.1:8233/namespaces/default/workflows/${encodeURIComponent(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
    await new Promise((r) => setTimeout(r, 2_000)); // several resyncs of both watchers
    const runs: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(w.runId);
    assert.equal(runs.length, 1, 'one run only');
    assert.equal(runs[0], ops.status?.workflow?.runId);
    assert.ok(ops.metadata.finalizers?.includes('opsflow.dev/workflow'));
  });

  it('deleting an OpsRequest cancels its run, resumes the database, then lets the object go', async () => {
    await o.readyPostgres('db2', '16.13', 2);
    const input = await o.pgops('to-cancel', { type: 'UpdateVersion', databaseRef: { name: 'db2' }, updateVersion: { targetVersion: '16.15' } });
    await eventually('the rollout under way (database paused)', async () => {
      const d = await o.db('db2');
      return getCondition(d.status?.conditions, 'Paused')?.status === 'True' ? true : undefined;
    }, 60_000);
    await o.remove('PostgresOpsRequest', 'to-cancel');
    await eventually('the OpsRequest gone (finalizer removed)', async () => {
      try {
        await o.ops('to-cancel');
        return undefined;
      } catch {
        return true;
      }
    }, 90_000);
    const desc = await client.workflow.getHandle(workflowIdFor(input)).describe();
    assert.equal(desc.status.name, 'CANCELLED');
    const db = await eventually('db2 resumed', async () => {
      const d = await o.db('db2');
      return getCondition(d.status?.conditions, 'Paused')?.status === 'False' ? d : undefined;
    }, 60_000);
    assert.equal(db.metadata.annotations?.[PAUSE_ANNOTATION], undefined);
  });
});
