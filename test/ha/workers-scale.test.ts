// Workers scale out: 3 worker processes on one task queue share 20 concurrent operations (10
// simulated ProxySQLs, two UpdateVersions each, all submitted at once); one worker is SIGKILLed
// and one drained by SIGTERM mid-way. Every run ends Successful and every Pod is replaced exactly
// once per operation (twice in all), never more.
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import type { DatabaseStatus } from '../../src/api/common.ts';
import type { OpsRequestStatus } from '../../src/api/opsrequests.ts';
import { eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

const PROXIES = 10;
const names = Array.from({ length: PROXIES }, (_, i) => `p${i}`);

describe('workers scale out: 3 workers, 20 concurrent operations, one SIGKILLed and one drained', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  const workers: OpsflowProcess[] = [];

  const apply = (obj: object) => kubectl(['apply', '-n', ns.name, '-f', '-'], stringify(obj));

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('scale');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('scale'), namespace: ns.name };
    watcher = startOpsflowProcess('watcher', env);
    for (const i of [1, 2, 3]) workers.push(startOpsflowProcess('worker', env, `worker-${i}`));
    await apply({ apiVersion: 'v1', kind: 'List', items: names.map((name) => ({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQL', metadata: { name }, spec: { version: '2.5.5', replicas: 1 } })) });
    for (const n of names) await eventually(`${n} Ready`, async () => ((await o.get<DatabaseStatus>('ProxySQL', n)).status?.phase === 'Ready' ? true : undefined), 300_000, 500);
  });
  after(async () => {
    await watcher?.stop();
    for (const w of workers) await w.stop();
    await ns?.remove();
  });

  it('every run ends Successful and no Pod is replaced more than once per operation', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/managed-by=opsflow');
    const ops = names.flatMap((n) => [
      { name: `${n}-a`, db: n, target: '2.6.3' },
      { name: `${n}-b`, db: n, target: '2.7.3' },
    ]);
    await apply({ apiVersion: 'v1', kind: 'List', items: ops.map((x) => ({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'ProxySQLOpsRequest', metadata: { name: x.name }, spec: { type: 'UpdateVersion', proxyRef: { name: x.db }, updateVersion: { targetVersion: x.target }, timeout: '5m' } })) });
    const t0 = Date.now();
    // Mid-way (a few Pods replaced), a crash and a drain.
    await eventually('3 Pods replaced', async () => (history.replacements().length >= 3 ? true : undefined), 300_000, 100);
    await workers[0]?.kill();
    await eventually('6 Pods replaced', async () => (history.replacements().length >= 6 ? true : undefined), 300_000, 100);
    await workers[1]?.stop();
    const results: Array<{ name: string; phase?: string; message?: string }> = [];
    for (const x of ops) {
      const r = await o.finished('ProxySQLOpsRequest', x.name, 600_000);
      results.push({ name: x.name, phase: (r.status as OpsRequestStatus | undefined)?.phase, message: (r.status as OpsRequestStatus | undefined)?.message });
    }
    const counts = results.reduce<Record<string, number>>((m, r) => ({ ...m, [r.phase ?? '?']: (m[r.phase ?? '?'] ?? 0) + 1 }), {});
    const tooMany = names.map((n) => `${n}-0`).filter((p) => history.uids(p).length > 3);
    process.stdout.write(`      20 operations in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(counts)}; Pods replaced more than once per operation: ${tooMany.length}\n`);
    await history.stop();
    assert.deepEqual(results.filter((r) => r.phase !== 'Successful'), []);
    for (const n of names) assert.equal(history.uids(`${n}-0`).length, 3, `${n}-0 replaced exactly twice (two operations): ${history.uids(`${n}-0`).join(', ')}`);
  });
});
