// A scale-down that would remove the primary (watcher and worker processes, real Postgres): a Restart
// with preferredPrimary moves the primary to pg-1 (the highest ordinal of 2), then HorizontalScaling
// to 1 switches it back to pg-0 first (the Switchover step) and only then removes pg-1. Never without
// a primary at the end, never the primary removed; pg-0 takes writes. In test/slow (two rolling
// operations on real Postgres: over the e2e budget).
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { getCondition } from '../../src/api/conditions.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('HorizontalScaling that would remove the primary: a switchover first', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let watcher: OpsflowProcess | undefined;
  let worker: OpsflowProcess | undefined;

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-hsp');
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-hsp'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await ns?.remove();
  });

  it('primary pg-1, scale to 1: Switchover to pg-0, then pg-1 removed; pg-0 is the primary and takes writes', async () => {
    const o = objects(ns.name);
    const apply = (name: string, spec: Record<string, unknown>) => kubectl(['apply', '-n', ns.name, '-f', '-'],
      stringify({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name }, spec: { databaseRef: { name: 'pg' }, timeout: '3m', ...spec } }));
    await o.readyPostgres('pg', '16.13', 2);
    await apply('move', { type: 'Restart', preferredPrimary: 'pg-1' });
    await o.successful('PostgresOpsRequest', 'move', 400_000);
    assert.equal(await o.primary('pg'), 'pg-1');

    await apply('down', { type: 'HorizontalScaling', horizontalScaling: { replicas: 1 } });
    const done = await o.successful('PostgresOpsRequest', 'down', 400_000);
    const steps = done.status?.conditions?.map((c) => c.type) ?? [];
    assert.ok(steps.indexOf('Switchover') >= 0 && steps.indexOf('Switchover') < steps.indexOf('ScaleStatefulSet'), `Switchover before the resize (${steps.join(', ')})`);
    assert.match(getCondition(done.status?.conditions, 'Validate')?.message ?? '', /the primary pg-1 is removed: switch over to pg-0 first/);
    assert.equal(await o.primary('pg'), 'pg-0');
    const pods = (await clients().core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=pg' })).items
      .filter((p) => !p.metadata?.deletionTimestamp).map((p) => `${p.metadata?.name}:${p.metadata?.labels?.['opsflow.dev/role']}`);
    assert.deepEqual(pods, ['pg-0:primary']);
    const [row] = await pgQuery<{ r: boolean }>(ns.name, 'pg', 'pg-0', 'SELECT pg_is_in_recovery() AS r');
    assert.equal(row?.r, false, 'pg-0 is not in recovery');
    await pgQuery(ns.name, 'pg', 'pg-0', 'CREATE TABLE after_scale (x int)');
  });
});
