// The VerticalScaling workflow on the real Temporal dev server with the real activities, the real
// provisioner and a real Postgres (one member, so the primary restarts in place): the new resources
// land in the database spec, the StatefulSet and the Pod; the plan declares UpdateResources before the
// roll; the same request again is Skipped; the provisioner renders the same afterwards.
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.ts';
import { PAUSE_ANNOTATION } from '../../src/engines/common.ts';
import { parseQuantity } from '../../src/engines/resources.ts';
import { makeKube } from '../../src/k8s/client.ts';
import { createLogger } from '../../src/logger.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import { runLookup } from '../../src/temporal/run-lookup.ts';
import type { Provisioner } from '../../src/watcher/provisioner.ts';
import { workerOptions, workflowsPath } from '../../src/worker/workflow-modules.ts';
import { progressQuery, type OpsInput, type OpsResult } from '../../src/workflows/shared.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { clients, eventually, kubeConfig, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { startProvisioner } from '../support/provisioner.ts';
import { devServerEnv, opsOutcome, uniqueTaskQueue } from '../support/temporal.ts';

describe('VerticalScaling workflow (real Temporal, real API server, real Postgres)', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let provisioner: Provisioner;
  let o: ReturnType<typeof objects>;
  const taskQueue = uniqueTaskQueue('vscale');
  const res = { requests: { cpu: '0.5', memory: '512Mi' }, limits: { cpu: 1, memory: '1Gi' } };
  const amounts = (r: unknown) => JSON.stringify(Object.fromEntries(Object.entries((r ?? {}) as Record<string, Record<string, string | number>>)
    .map(([k, m]) => [k, Object.fromEntries(Object.entries(m).sort().map(([n, q]) => [n, parseQuantity(q)]))]).sort()));

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('vscale');
    o = objects(ns.name);
    provisioner = await startProvisioner(ns.name);
    env = await devServerEnv();
    const activities = createActivities({
      kube: makeKube(kubeConfig()), log: createLogger({}, 'warn'), pollMs: 200, runs: runLookup(env.client),
      config: { sync: { maxLagBytes: 16 << 20, sizeTolerance: 0.2 }, temporal: { address: '', namespace: 'default', uiUrl: '', taskQueue } },
    });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, ...workerOptions, activities });
    running = worker.run();
    await o.readyPostgres('vs', '16.13', 1);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await provisioner?.stop();
    await ns?.remove();
  });

  const run = async (name: string) => {
    const input: OpsInput = await o.pgops(name, { type: 'VerticalScaling', databaseRef: { name: 'vs' }, verticalScaling: { postgres: { resources: res } } });
    const handle = await env.client.workflow.start('postgresVerticalScaling', { taskQueue, workflowId: workflowIdFor(input), args: [input] });
    return { handle, result: await opsOutcome<OpsResult>(handle.result()) };
  };

  it('scales: UpdateResources-postgres, then the Pod rolled onto the new template; spec, StatefulSet and Pod carry the resources', async () => {
    const uid = (await o.podUids('app.kubernetes.io/instance=vs'))['vs-0'];
    const { handle, result } = await run('vs-up');
    assert.equal(result.phase, 'Successful', result.message);
    const steps = (await handle.query(progressQuery)).steps;
    assert.deepEqual(steps.map((s) => s.name), ['Validate', 'WaitForTurn', 'DatabaseReady', 'Revalidate', 'PauseDatabase', 'UpdateResources-postgres', 'RestartPod-vs-0', 'ResumeDatabase']);
    assert.ok(steps.every((s) => s.state === 'Succeeded'), JSON.stringify(steps));
    assert.match(steps[0]?.message ?? '', /^postgres: requests cpu=0\.5,memory=512Mi limits cpu=1,memory=1Gi; roll vs-0$/);
    assert.notEqual((await o.podUids('app.kubernetes.io/instance=vs'))['vs-0'], uid, 'vs-0 replaced');
    const pod = await clients().core.readNamespacedPod({ name: 'vs-0', namespace: ns.name });
    assert.equal(amounts(pod.spec?.containers[0]?.resources), amounts(res));
    // The provisioner reconciles the changed spec once resumed and renders the same resources.
    const db = await eventually('vs reconciled and resumed', async () => {
      const d = await o.db('vs');
      return d.status?.observedGeneration === d.metadata.generation && !d.metadata.annotations?.[PAUSE_ANNOTATION] && d.status?.phase === 'Ready' ? d : undefined;
    }, 60_000, 300);
    assert.equal(amounts((db.spec.podTemplate as { spec: { containers: Array<{ resources: unknown }> } }).spec.containers[0]?.resources), amounts(res));
    const sts = await clients().apps.readNamespacedStatefulSet({ name: 'vs', namespace: ns.name });
    assert.equal(amounts(sts.spec?.template.spec?.containers[0]?.resources), amounts(res));
  });

  it('the same request again is Skipped (every Pod already runs these resources); no Pod replaced', async () => {
    const before = await o.podUids('app.kubernetes.io/instance=vs');
    const { result } = await run('vs-again');
    assert.equal(result.phase, 'Skipped', result.message);
    assert.match(result.message, /already runs postgres: requests cpu=0\.5,memory=512Mi/);
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=vs'), before);
  });
});
