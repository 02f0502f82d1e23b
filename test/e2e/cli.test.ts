// The `opsflow` CLI end to end: real child processes of bin/opsflow.js against the local cluster,
// the Temporal dev server, the watcher and worker processes and real Postgres Pods. Exit codes and
// output are what is checked, plus the cluster's state (Pod UIDs, phases, the database resumed).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { getCondition } from '../../src/api/conditions.ts';
import { approveSignal } from '../../src/workflows/shared.ts';
import { kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { runCli, show } from '../support/cli.ts';
import { bindUsers } from '../support/deploy.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { watchPodUids } from '../support/pod-history.ts';
import { freePort } from '../support/ports.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

describe('opsflow CLI end to end (bin/opsflow.js as a child process)', function () {
  this.timeout(900_000);
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let watcher: OpsflowProcess;
  let worker: OpsflowProcess;
  let cliEnv: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'opsflow-cli-'));

  before(async () => {
    await installCrdsAndCatalog();
    ns = await tempNamespace('e2e-cli');
    o = objects(ns.name);
    const env = { temporalAddress: temporalAddress(), taskQueue: uniqueTaskQueue('e2e-cli'), namespace: ns.name };
    cliEnv = { TEMPORAL_ADDRESS: env.temporalAddress, OPSFLOW_TASK_QUEUE: env.taskQueue };
    watcher = startOpsflowProcess('watcher', env);
    worker = startOpsflowProcess('worker', env);
    await bindUsers(ns.name, 'opsflow-approver', ['alice', 'bob']);
    await Promise.all([o.readyPostgres('cli', '16.13', 2), o.readyPostgres('cxl', '16.13', 2), o.readyPostgres('rty', '16.13', 2)]);
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    await kubectl(['delete', 'validatingadmissionpolicy,validatingadmissionpolicybinding', '-l', `opsflow-test=${ns?.name}`, '--ignore-not-found']).catch(() => undefined);
    await ns?.remove();
  });

  const cli = (...args: string[]) => runCli([...args, '-n', ns.name], cliEnv);
  function file(name: string, spec: Record<string, unknown>): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, stringify({ apiVersion: 'opsflow.dev/v1alpha1', kind: 'PostgresOpsRequest', metadata: { name }, spec }));
    return path;
  }
  const opsCount = async () => ((await clients().custom.listNamespacedCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresopsrequests', namespace: ns.name })) as { items: unknown[] }).items.length;
  const phaseIs = (name: string, phase: string) => eventually(`${name} ${phase}`, async () => ((await o.ops(name)).status?.phase === phase ? true : undefined), 300_000, 500);

  /** A ValidatingAdmissionPolicy that refuses to create the Pod named pod (a real, reversible breakage). */
  async function blockPodCreation(pod: string): Promise<() => Promise<void>> {
    const name = `block-${pod}-${ns.name}`.slice(0, 63);
    const labels = { 'opsflow-test': ns.name };
    await kubectl(['apply', '-f', '-'], [
      stringify({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name, labels }, spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        validations: [{ expression: `object.metadata.name != '${pod}'`, message: `test: creating ${pod} is blocked` }],
      } }),
      stringify({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name, labels }, spec: {
        policyName: name, validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } },
      } }),
    ].join('---\n'));
    // The policy takes effect once the API server's informer has it: probe with a server-side dry run.
    await eventually('the admission policy in force', async () => {
      const r = await clients().core.createNamespacedPod({ namespace: ns.name, dryRun: 'All', body: { metadata: { name: pod }, spec: { containers: [{ name: 'x', image: 'x' }] } } }).then(() => false, () => true);
      return r ? true : undefined;
    }, 30_000, 500);
    return async () => {
      await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', name, '--ignore-not-found']);
    };
  }

  it('plan: prints the steps and the Pod order (standby first), creates nothing; -o json parses', async () => {
    const f = file('cli-plan', { type: 'UpdateVersion', databaseRef: { name: 'cli' }, updateVersion: { targetVersion: '16.14' } });
    const r = await cli('plan', '-f', f);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Pod order: cli-1 -> cli-0 \(primary cli-0\)/, show(r));
    assert.match(r.stdout, /RestartPod-cli-1[\s\S]*RestartPod-cli-0[\s\S]*ResumeDatabase/);
    const j = await cli('plan', '-f', f, '-o', 'json');
    assert.equal(j.code, 0, show(j));
    const plan = JSON.parse(j.stdout) as { outcome: string; pods: string[]; steps: string[] };
    assert.equal(plan.outcome, 'Proceed');
    assert.deepEqual(plan.pods, ['cli-1', 'cli-0']);
    assert.ok(plan.steps.includes('PauseDatabase'));
    assert.equal(await opsCount(), 0, 'plan created no OpsRequest');
  });

  it('submit --wait -o json: Successful, exit 0, every Pod replaced once; status and list -o json parse', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=cli');
    const f = file('cli-up', { type: 'UpdateVersion', databaseRef: { name: 'cli' }, updateVersion: { targetVersion: '16.14' } });
    const r = await cli('submit', '-f', f, '--wait', '-o', 'json');
    assert.equal(r.code, 0, show(r));
    const out = JSON.parse(r.stdout) as { phase: string; steps: Array<{ name: string; state: string }>; workflow: { id: string; url: string } };
    assert.equal(out.phase, 'Successful');
    assert.equal(out.steps.find((s) => s.name === 'RestartPod-cli-0')?.state, 'Succeeded');
    assert.match(out.workflow.url, /^http/);
    for (const pod of ['cli-0', 'cli-1']) assert.equal(history.uids(pod).length, 2, `${pod} replaced once`);
    await history.stop();
    assert.equal((await o.db('cli')).spec.version, '16.14');
    const [v] = await pgQuery<{ server_version: string }>(ns.name, 'cli', 'cli-0', 'SHOW server_version');
    assert.match(v?.server_version ?? '', /^16\.14/);
    const s = await cli('status', 'cli-up', '-o', 'json');
    assert.equal(s.code, 0, show(s));
    assert.equal((JSON.parse(s.stdout) as { phase: string }).phase, 'Successful');
    const text = await cli('status', 'pgops/cli-up');
    assert.match(text.stdout, /Phase: +Successful[\s\S]*\[x\] RestartPod-cli-1 +\d+\.\ds/, show(text));
    const l = await cli('list', '-o', 'json', '--phase', 'Successful', '--database', 'cli');
    assert.equal(l.code, 0, show(l));
    assert.deepEqual((JSON.parse(l.stdout) as Array<{ name: string }>).map((x) => x.name), ['cli-up']);
    const none = await cli('list', '--type', 'Restart');
    assert.match(none.stdout, /no OpsRequests/);
  });

  it('approval Required: WaitingForApproval with no Pod touched until `opsflow approve`; then Successful', async () => {
    const before = await o.podUids('app.kubernetes.io/instance=cli');
    const r = await cli('update-version', 'postgres/cli', '--to', '16.15', '--approval', 'Required', '-o', 'json');
    assert.equal(r.code, 0, show(r));
    const name = (JSON.parse(r.stdout) as { name: string }).name;
    await phaseIs(name, 'WaitingForApproval');
    await new Promise((res) => setTimeout(res, 5_000));
    assert.equal((await o.ops(name)).status?.phase, 'WaitingForApproval');
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=cli'), before, 'no Pod touched before approval');
    assert.equal(getCondition((await o.db('cli')).status?.conditions, 'Paused')?.status ?? 'False', 'False', 'not paused before approval');
    const forged = await cli('approve', name, '--by', 'alice');
    assert.equal(forged.code, 2, show(forged));
    const own = await cli('approve', name);
    assert.equal(own.code, 5, show(own));
    assert.match(own.stderr, /requested .* and cannot approve it/);
    const a = await cli('approve', name, '--as', 'alice');
    assert.equal(a.code, 0, show(a));
    assert.match(a.stdout, /as alice/);
    const w = await cli('status', name, '--watch');
    assert.equal(w.code, 0, show(w));
    const ops = await o.ops(name);
    assert.equal(ops.status?.phase, 'Successful');
    assert.equal(ops.metadata.annotations?.['opsflow.dev/approved-by'], 'alice');
    assert.equal(getCondition(ops.status?.conditions, 'Approval')?.message, 'approved by alice');
    assert.equal((await o.db('cli')).spec.version, '16.15');
    const again = await cli('approve', name);
    assert.equal(again.code, 5, show(again));
  });

  it('approval by annotation (kubectl, authenticated as bob): the watcher forwards opsflow.dev/approved-by to the run', async () => {
    const r = await cli('restart', 'postgres/cli', '--approval', 'Required', '-o', 'json');
    assert.equal(r.code, 0, show(r));
    const name = (JSON.parse(r.stdout) as { name: string }).name;
    await phaseIs(name, 'WaitingForApproval');
    // A bare Temporal signal (anyone with Temporal access) approves nothing: the run checks the OpsRequest.
    const connection = await Connection.connect({ address: cliEnv.TEMPORAL_ADDRESS ?? '' });
    try {
      await new Client({ connection }).workflow.getHandle((await o.ops(name)).status?.workflow?.id ?? '').signal(approveSignal, { by: 'mallory' });
    } finally {
      await connection.close();
    }
    await eventually('the forged signal ignored', async () => (/approve signal \(mallory\) was ignored: the OpsRequest carries no opsflow\.dev\/approved-by/
      .test(getCondition((await o.ops(name)).status?.conditions, 'Approval')?.message ?? '') ? true : undefined), 30_000, 500);
    assert.equal((await o.ops(name)).status?.phase, 'WaitingForApproval');
    await kubectl(['annotate', '--as=bob', '-n', ns.name, 'pgops', name, 'opsflow.dev/approved-by=bob']);
    await phaseIs(name, 'Successful');
    assert.equal(getCondition((await o.ops(name)).status?.conditions, 'Approval')?.message, 'approved by bob');
  });

  it('cancel while waiting for approval: Failed, nothing changed', async () => {
    const before = await o.podUids('app.kubernetes.io/instance=cli');
    const r = await cli('restart', 'postgres/cli', '--approval', 'Required', '-o', 'json');
    assert.equal(r.code, 0, show(r));
    const name = (JSON.parse(r.stdout) as { name: string }).name;
    await phaseIs(name, 'WaitingForApproval');
    const c = await cli('cancel', name);
    assert.equal(c.code, 0, show(c));
    const ops = await o.ops(name);
    assert.equal(ops.status?.phase, 'Failed');
    assert.match(ops.status?.message ?? '', /cancelled while waiting for approval/);
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=cli'), before);
  });

  it('cancel mid-run: the run resumes the database and the OpsRequest ends Failed, saying it was cancelled', async () => {
    const unblock = await blockPodCreation('cxl-1');
    try {
      const r = await cli('restart', 'postgres/cxl', '-o', 'json');
      assert.equal(r.code, 0, show(r));
      const name = (JSON.parse(r.stdout) as { name: string }).name;
      await eventually('cxl-1 restarting (its re-creation is blocked)', async () => (getCondition((await o.ops(name)).status?.conditions, 'RestartPod-cxl-1')?.status === 'Unknown' ? true : undefined), 300_000, 500);
      assert.equal(getCondition((await o.db('cxl')).status?.conditions, 'Paused')?.status, 'True');
      const c = await cli('cancel', name);
      assert.equal(c.code, 0, show(c));
      const ops = await o.ops(name);
      assert.equal(ops.status?.phase, 'Failed');
      assert.match(ops.status?.message ?? '', /cancelled/);
      assert.equal(getCondition((await o.db('cxl')).status?.conditions, 'Paused')?.status, 'False', 'the database is resumed');
      const again = await cli('cancel', name);
      assert.equal(again.code, 5, show(again));
    } finally {
      await unblock();
    }
  });

  it('retry after an induced failure: continues from PauseDatabase; the Pod rolled before the failure is not replaced again', async () => {
    const history = await watchPodUids(ns.name, 'app.kubernetes.io/instance=rty');
    const unblock = await blockPodCreation('rty-0');
    const f = file('rty-up', { type: 'UpdateVersion', databaseRef: { name: 'rty' }, updateVersion: { targetVersion: '16.14' }, timeout: '30s', maxRetries: 0 });
    const r = await cli('submit', '-f', f, '--wait');
    assert.equal(r.code, 1, `the run Failed: ${show(r)}`);
    let ops = await o.ops('rty-up');
    assert.equal(ops.status?.phase, 'Failed');
    assert.equal(getCondition(ops.status?.conditions, 'RestartPod-rty-1')?.status, 'True', 'the standby was rolled before the failure');
    assert.equal(getCondition(ops.status?.conditions, 'RestartPod-rty-0')?.status, 'False');
    const standby = history.uids('rty-1');
    assert.equal(standby.length, 2, 'rty-1 replaced once before the failure');
    await unblock();
    const firstRun = ops.status?.workflow?.runId;
    const t = await cli('retry', 'rty-up');
    assert.equal(t.code, 0, show(t));
    assert.match(t.stdout, /from PauseDatabase/);
    ops = await o.ops('rty-up');
    assert.notEqual(ops.status?.workflow?.runId, firstRun, 'status.workflow.runId is the new run');
    const w = await cli('status', 'rty-up', '--watch');
    assert.equal(w.code, 0, show(w));
    ops = await o.ops('rty-up');
    assert.equal(ops.status?.phase, 'Successful', ops.status?.message);
    assert.deepEqual(history.uids('rty-1'), standby, 'rty-1 was not replaced again');
    assert.match(getCondition(ops.status?.conditions, 'RestartPod-rty-1')?.message ?? '', /already done|already runs the update revision .*; not rolled again/);
    const [v] = await pgQuery<{ server_version: string }>(ns.name, 'rty', 'rty-0', 'SHOW server_version');
    assert.match(v?.server_version ?? '', /^16\.14/);
    assert.equal(getCondition((await o.db('rty')).status?.conditions, 'Paused')?.status, 'False');
    await history.stop();
    const again = await cli('retry', 'rty-up');
    assert.equal(again.code, 5, `a Successful run cannot be retried: ${show(again)}`);
  });

  it('status with the worker down: the steps come from the OpsRequest conditions', async () => {
    await worker.stop();
    try {
      const r = await cli('status', 'cli-up');
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /Phase: +Successful/);
      assert.match(r.stdout, /from the OpsRequest conditions/);
      assert.match(r.stdout, /\[x\] RestartPod-cli-0/);
    } finally {
      worker = startOpsflowProcess('worker', { temporalAddress: cliEnv.TEMPORAL_ADDRESS ?? '', taskQueue: cliEnv.OPSFLOW_TASK_QUEUE ?? '', namespace: ns.name }, 'worker-2');
    }
  });

  it('bad inputs: one clear line and the documented exit code; nothing created', async () => {
    const count = await opsCount();
    const bad = await cli('submit', '-f', file('bad', { type: 'UpdateVersion', databaseRef: { name: 'cli' }, updateVersion: { targetVersion: 7 } }));
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /^opsflow: .*spec\.updateVersion\.targetVersion: /m);
    const missing = await cli('submit', '-f', file('bad2', { type: 'UpdateVersion', databaseRef: { name: 'cli' } }));
    assert.equal(missing.code, 2, show(missing));
    assert.match(missing.stderr, /spec\.updateVersion: required when spec\.type is UpdateVersion/);
    const noFile = await cli('submit', '-f', join(dir, 'nope.yaml'));
    assert.equal(noFile.code, 2, show(noFile));
    const unknownDb = await cli('update-version', 'postgres/nope', '--to', '16.14');
    assert.equal(unknownDb.code, 4, show(unknownDb));
    assert.match(unknownDb.stderr, /Postgres "nope" not found in namespace/);
    const port = await freePort();
    const noTemporal = await cli('submit', '-f', file('nt', { type: 'Restart', databaseRef: { name: 'cli' } }), '--address', `127.0.0.1:${port}`);
    assert.equal(noTemporal.code, 3, show(noTemporal));
    assert.match(noTemporal.stderr, /cannot reach Temporal at 127\.0\.0\.1:/);
    const kc = join(dir, 'unreachable.kubeconfig');
    writeFileSync(kc, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }], users: [{ name: 'u', user: {} }], 'current-context': 'c' }));
    const noCluster = await cli('list', '--kubeconfig', kc);
    assert.equal(noCluster.code, 3, show(noCluster));
    assert.match(noCluster.stderr, /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:/);
    const notFound = await cli('status', 'nope');
    assert.equal(notFound.code, 4, show(notFound));
    const usage = await cli('status', '--bogus');
    assert.equal(usage.code, 2, show(usage));
    for (const r of [bad, missing, unknownDb, noTemporal, noCluster, notFound]) assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(await opsCount(), count, 'no OpsRequest created by a refused command');
  });

  it('a task queue no worker polls: the request is created and started, and stderr warns that the run will wait', async () => {
    const queue = uniqueTaskQueue('nobody-polls');
    const r = await runCli(['restart', 'postgres/rty', '-o', 'json', '-n', ns.name], { ...cliEnv, OPSFLOW_TASK_QUEUE: queue });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, new RegExp(`warning: no worker polls task queue "${queue}"`), show(r));
    const name = (JSON.parse(r.stdout) as { name: string }).name;
    // Nothing runs it: end the run from Temporal so the OpsRequest ends (Failed, naming TERMINATED).
    const id = (await o.ops(name)).status?.workflow?.id ?? '';
    const client = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
    try {
      await client.workflow.getHandle(id).terminate('test: no worker polls its task queue');
    } finally {
      await client.connection.close();
    }
    await phaseIs(name, 'Failed');
    const ok = await cli('restart', 'postgres/rty', '--approval', 'Required', '-o', 'json');
    assert.equal(ok.code, 0, show(ok));
    assert.doesNotMatch(ok.stderr, /no worker polls/, 'no warning when a worker polls the queue');
    await cli('cancel', (JSON.parse(ok.stdout) as { name: string }).name);
  });
});
