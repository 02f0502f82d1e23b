// The Helm chart for real: `helm install` into the local cluster; the watcher and the worker run from
// the repo with the environment of the chart's Deployments and tokens of the chart's ServiceAccounts
// (kwok's Pods run nothing), provision a Postgres and complete a Restart; a Failed request is found
// in Temporal by OpsflowPhase and its run is FAILED; every metric the dashboard and the alerts
// query is really exported; the chart's admission policy binds its ServiceAccounts; `kubectl opsflow`
// works as a plugin (and requests a supervised Restart the Web UI shows); `helm upgrade` keeps the data and
// `helm uninstall` keeps the CRDs, the catalog and the databases.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { parse } from 'yaml';
import { kubeconfigPath, kubectl } from '../../devenv/cluster.ts';
import { installCrdsAndCatalog } from '../../devenv/crds.ts';
import { bins, repoDir } from '../../devenv/paths.ts';
import { temporalUiUrl } from '../../devenv/temporal.ts';
import { workflowIdFor } from '../../src/temporal/ids.ts';
import type { OpsInput } from '../../src/workflows/shared.ts';
import { openBrowser, screenshotDir } from '../support/browser.ts';
import { alertRules, dashboardQueries } from '../support/dashboards.ts';
import { serviceAccountKubeconfig } from '../support/deploy.ts';
import { chartDir, helm } from '../support/helm.ts';
import { clients, eventually, tempNamespace } from '../support/kube.ts';
import { objects } from '../support/ops.ts';
import { freePort } from '../support/ports.ts';
import { startOpsflowProcess, type OpsflowProcess } from '../support/processes.ts';
import { metricNames } from '../support/promql.ts';
import { pgQuery } from '../support/sql.ts';
import { temporalAddress, uniqueTaskQueue } from '../support/temporal.ts';

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
const ROW = 'tr[data-testid="workflows-summary-configurable-table-row"]';
const RELEASE = 'opsflow-e2e';

/**
 * The env of a Deployment's container as the kubelet would give it to one of its Pods: plain values,
 * and the Downward API's metadata.namespace / metadata.name (POD_NAMESPACE decides where the watcher
 * elects its leader). A Secret reference is never resolved here.
 */
async function deploymentEnv(namespace: string, name: string): Promise<Record<string, string>> {
  const d = JSON.parse(await kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'json'])) as { spec: { template: { spec: { containers: Array<{ env?: EnvVar[] }> } } } };
  const field: Record<string, string> = { 'metadata.namespace': namespace, 'metadata.name': `${name}-e2e` };
  const out: Record<string, string> = {};
  for (const e of d.spec.template.spec.containers[0]?.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) out[e.name] = e.value;
    else if (path) out[e.name] = field[path] ?? assert.fail(`${name}: env ${e.name} reads ${path}, which this test does not provide`);
  }
  return out;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe('helm install of charts/opsflow: provision, Restart, Web UI phase, metrics, kubectl opsflow, helm upgrade', function () {
  this.timeout(600_000);
  let sys: Awaited<ReturnType<typeof tempNamespace>>;
  let ns: Awaited<ReturnType<typeof tempNamespace>>;
  let o: ReturnType<typeof objects>;
  let client: Client;
  let watcher: OpsflowProcess | undefined;
  let worker: OpsflowProcess | undefined;
  let installed = false;
  const metrics = { worker: '', watcher: '' };
  const taskQueue = uniqueTaskQueue('helm');
  const inputs: Record<string, OpsInput> = {};
  // `kubectl opsflow`: the plugin on PATH, as a user installs it, configured for the release's Temporal
  // task queue (the CLI starts the runs it creates; on another queue no worker would pick them up).
  const pluginDir = mkdtempSync(join(tmpdir(), 'kubectl-plugins-'));
  symlinkSync(join(repoDir, 'bin', 'kubectl-opsflow.js'), join(pluginDir, 'kubectl-opsflow'));
  const kc = (args: string[]) => run(bins.kubectl, args, {
    PATH: `${pluginDir}:${process.env.PATH ?? ''}`, KUBECONFIG: kubeconfigPath, TEMPORAL_ADDRESS: temporalAddress(), OPSFLOW_TASK_QUEUE: taskQueue,
  });

  /** Starts both processes with their Deployment's environment, as the chart's ServiceAccounts. */
  async function startProcesses(tag: string): Promise<void> {
    const [wp, kp] = [await freePort(), await freePort()];
    metrics.watcher = `http://127.0.0.1:${wp}/metrics`;
    metrics.worker = `http://127.0.0.1:${kp}/metrics`;
    const base = { temporalAddress: temporalAddress(), taskQueue, namespace: ns.name };
    const wenv = await deploymentEnv(sys.name, `${RELEASE}-watcher`);
    const kenv = await deploymentEnv(sys.name, `${RELEASE}-worker`);
    watcher = startOpsflowProcess('watcher', base, `watcher-${tag}`, {
      ...wenv, OPSFLOW_WATCHER_METRICS_ADDRESS: `127.0.0.1:${wp}`, KUBECONFIG: await serviceAccountKubeconfig(`${RELEASE}-watcher`, sys.name),
    });
    worker = startOpsflowProcess('worker', base, `worker-${tag}`, {
      ...kenv, OPSFLOW_METRICS_ADDRESS: `127.0.0.1:${kp}`, KUBECONFIG: await serviceAccountKubeconfig(`${RELEASE}-worker`, sys.name),
    });
  }

  before(async () => {
    await installCrdsAndCatalog(); // as other tests left it: the release takes the catalog over
    sys = await tempNamespace('helm-sys');
    await clients().core.patchNamespace({ name: sys.name, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    ns = await tempNamespace('helm-db');
    o = objects(ns.name);
    client = new Client({ connection: await Connection.connect({ address: temporalAddress() }), namespace: 'default' });
    await helm(['install', RELEASE, chartDir, '-n', sys.name, '--take-ownership', '--force-conflicts', '--wait', '--timeout', '3m',
      '--set', `temporal.address=${temporalAddress()}`, '--set', `temporal.uiUrl=${temporalUiUrl()}`, '--set', `temporal.taskQueue=${taskQueue}`,
      '--set', `databaseNamespaces={${ns.name}}`, '--set', `watchNamespace=${ns.name}`, '--set', 'watcher.resyncSeconds=5']);
    installed = true;
    await startProcesses('1');
  });
  after(async () => {
    await watcher?.stop();
    await worker?.stop();
    if (installed) await helm(['uninstall', RELEASE, '-n', sys.name, '--wait']).catch(() => undefined);
    await ns?.remove();
    await sys?.remove();
    rmSync(pluginDir, { recursive: true, force: true });
  });

  it('as the chart\'s ServiceAccounts: a Postgres is provisioned and restarted; OpsflowPhase finds the run, a Failed one is FAILED', async () => {
    const status = JSON.parse((await helm(['status', RELEASE, '-n', sys.name, '-o', 'json'])).stdout) as { info: { status: string }; version: number };
    assert.equal(status.info.status, 'deployed');
    await o.readyPostgres('pg', '16.13', 2);
    await pgQuery(ns.name, 'pg', 'pg-0', 'CREATE TABLE kept (v text)');
    await pgQuery(ns.name, 'pg', 'pg-0', "INSERT INTO kept VALUES ('before the upgrade')");
    inputs.restart = await o.pgops('pg-restart', { type: 'Restart', databaseRef: { name: 'pg' } });
    await o.successful('PostgresOpsRequest', 'pg-restart', 300_000);
    inputs.bad = await o.pgops('pg-bad', { type: 'UpdateVersion', databaseRef: { name: 'pg' }, updateVersion: { targetVersion: '16.99' } });
    const bad = await o.finished('PostgresOpsRequest', 'pg-bad', 120_000);
    assert.equal(bad.status?.phase, 'Failed');
    // The release's own scope policy binds its ServiceAccounts: RBAC lets the worker delete any Pod of
    // the namespace, the policy only those opsflow manages.
    await kubectl(['run', 'not-opsflows', '-n', ns.name, '--image=busybox', '--restart=Never']);
    const refusal = await eventually('the chart\'s scope policy refuses', async () => {
      const r = await run(bins.kubectl, ['--kubeconfig', kubeconfigPath, 'delete', 'pod', 'not-opsflows', '-n', ns.name, '--dry-run=server', `--as=system:serviceaccount:${sys.name}:${RELEASE}-worker`], {});
      return r.code !== 0 && r.stderr.includes(`${RELEASE}-scope`) ? r.stderr : undefined;
    }, 30_000, 500);
    assert.match(refusal, /may only change or delete objects labelled app\.kubernetes\.io\/managed-by=opsflow/);

    const ids = async (query: string) => {
      const out: string[] = [];
      for await (const w of client.workflow.list({ query: `${query} AND OpsflowNamespace="${ns.name}"` })) out.push(w.workflowId);
      return out.sort();
    };
    // Visibility is eventually consistent: the close of the failed run lands after its last upsert.
    await eventually('the visibility store has the closed runs', async () => ((await ids('ExecutionStatus="Failed"')).length === 1 && (await ids('OpsflowPhase="Successful"')).length === 1 ? true : undefined), 60_000, 500);
    assert.deepEqual(await ids('OpsflowPhase="Successful"'), [workflowIdFor(inputs.restart)]);
    assert.deepEqual(await ids('OpsflowPhase="Failed"'), [workflowIdFor(inputs.bad)]);
    assert.deepEqual(await ids('ExecutionStatus="Failed"'), [workflowIdFor(inputs.bad)], 'the Web UI\'s Failed status filter finds it too');
    const failure = await client.workflow.getHandle(workflowIdFor(inputs.bad)).result().catch((e: unknown) => e as { cause?: { message?: string } });
    assert.equal((failure as { cause?: { message?: string } }).cause?.message, bad.status?.message, 'the run fails with the OpsRequest\'s message');
  });

  it('every metric the Grafana dashboard and the PrometheusRule query is exported (worker and watcher scraped)', async () => {
    const texts = await Promise.all([metrics.worker, metrics.watcher].map(async (u) => (await fetch(u)).text()));
    const exported = new Set<string>();
    for (const line of texts.join('\n').split('\n')) {
      const m = /^(?:# TYPE )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
      if (m?.[1] && !line.startsWith('# HELP')) exported.add(m[1]);
    }
    const wanted = new Set([...dashboardQueries(), ...alertRules().map((r) => r.expr)].flatMap(metricNames));
    assert.ok(wanted.size >= 10, [...wanted].join(', '));
    const missing = [...wanted].filter((n) => !exported.has(n));
    assert.deepEqual(missing, [], `not exported: ${missing.join(', ')}`);
    assert.match(texts[1] ?? '', /opsflow_opsrequests\{kind="PostgresOpsRequest",phase="Failed"\} 1/);
    assert.match(texts[1] ?? '', /opsflow_database_paused\{kind="Postgres",namespace="[^"]+",database="pg"\} 0/);
  });

  it('kubectl opsflow: a plugin on PATH, with kubectl\'s -n, -A, --context, --kubeconfig, -o json|yaml and exit codes', async () => {
    assert.match((await kc(['plugin', 'list'])).stdout, /kubectl-opsflow/);
    const yamlList = await kc(['opsflow', 'list', '-n', ns.name, '-o', 'yaml']);
    assert.equal(yamlList.code, 0, yamlList.stderr);
    const rows = parse(yamlList.stdout) as Array<{ name: string; phase: string; database: { name: string } }>;
    assert.deepEqual(rows.map((r) => `${r.name}:${r.phase}:${r.database.name}`).sort(), ['pg-bad:Failed:pg', 'pg-restart:Successful:pg']);
    const context = (await kubectl(['config', 'current-context'])).trim();
    const all = await kc(['opsflow', '-A', '--context', context, '--kubeconfig', kubeconfigPath, 'list', '--phase', 'Failed', '-o', 'json']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok((JSON.parse(all.stdout) as Array<{ namespace: string; name: string }>).some((r) => r.namespace === ns.name && r.name === 'pg-bad'), 'global flags before the subcommand, all namespaces');
    const missing = await kc(['opsflow', 'status', 'nope', '-n', ns.name]);
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /^kubectl opsflow: /);
    const noContext = await kc(['opsflow', 'list', '--context', 'nope']);
    assert.equal(noContext.code, 2);
    assert.match(noContext.stderr, /--context: no context named nope/);
  });

  it('the Web UI (headless Chromium): the run list shows phase and database, a run\'s page its phase, database and current step', async () => {
    // A live run to look at: a Restart that waits for approval (nothing changes until approved),
    // requested through the plugin, which names its user (the admission policy wants requested-by).
    const r = await kc(['opsflow', 'restart', 'postgres/pg', '-n', ns.name, '--approval', 'Required', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const approve = (JSON.parse(r.stdout) as { name: string }).name;
    const waiting = await eventually(`${approve} waiting`, async () => {
      const x = await o.ops(approve);
      return x.status?.phase === 'WaitingForApproval' && x.status.workflow?.url ? x : undefined;
    }, 60_000, 500);
    assert.ok(waiting.metadata.annotations?.['opsflow.dev/requested-by'], 'the plugin named the requester');
    const browser = await openBrowser();
    try {
      const page = await browser.context.newPage();
      // The columns an operator picks with "Configure Columns" (the Web UI keeps them in localStorage).
      await page.addInitScript((cols) => localStorage.setItem('namespace-workflow-table-columns', JSON.stringify({ default: cols })),
        ['Status', 'OpsflowPhase', 'OpsflowNamespace', 'OpsflowDatabase', 'OpsflowType', 'Workflow ID', 'Start', 'End'].map((label) => ({ label })));
      const list = async (query: string, file: string) => {
        await page.goto(`${temporalUiUrl()}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
        // Generous: the Web UI renders slowly on a loaded 2-core machine.
        await page.locator(ROW).first().waitFor({ timeout: 150_000 });
        await page.waitForTimeout(1000);
        await page.screenshot({ path: join(screenshotDir, file), fullPage: true });
        return page.$$eval(ROW, (rows) => rows.map((r) => (r as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ')));
      };
      const rows = await list(`OpsflowNamespace="${ns.name}"`, 'run-list.png');
      const row = (name: string) => rows.find((r) => r.includes(`/${ns.name}/${name}/`)) ?? '';
      assert.match(row('pg-bad'), new RegExp(`FAILED Failed ${ns.name} pg UpdateVersion`), rows.join('\n'));
      assert.match(row('pg-restart'), new RegExp(`COMPLETED Successful ${ns.name} pg Restart`), rows.join('\n'));
      assert.match(row(approve), new RegExp(`RUNNING WaitingForApproval ${ns.name} pg Restart`), rows.join('\n'));
      const failed = await list(`OpsflowPhase="Failed" AND OpsflowNamespace="${ns.name}"`, 'run-list-failed.png');
      assert.equal(failed.length, 1, failed.join('\n'));
      assert.match(failed[0] ?? '', /pg-bad/);

      await page.goto(waiting.status?.workflow?.url ?? '');
      // The run's summary and current details are on its "User Metadata" tab (Web UI 2.54), each
      // markdown rendered in its own frame.
      await page.getByText('User Metadata').first().click({ timeout: 150_000 });
      const text = await eventually('the run\'s current details rendered', async () => {
        const parts = await Promise.all(page.frames().map((f) => f.innerText('body').catch(() => '')));
        const all = parts.join(' ').replace(/\s+/g, ' ');
        return /Step: Approval \(Running\)/.test(all) ? all : undefined;
      }, 120_000, 1000);
      await page.screenshot({ path: join(screenshotDir, 'run-page.png'), fullPage: true });
      assert.match(text, /Phase: WaitingForApproval/, text.slice(0, 2000));
      assert.match(text, new RegExp(`Database: ${ns.name}/pg`));
      assert.match(text, /Step: Approval \(Running\)/);
      assert.match(text, /Restart .*\/pg/, 'the run\'s summary names the database');
    } finally {
      await browser.close();
      // Out of the way of the next Restart (it would wait for its turn behind this one).
      await o.remove('PostgresOpsRequest', approve);
      await eventually(`${approve} gone`, async () => (await o.ops(approve).then(() => undefined, () => true)), 60_000, 500);
    }
  });

  it('helm upgrade keeps the data: no Pod replaced, the rows stay, and the upgraded processes run the next Restart; uninstall keeps CRDs, catalog and databases', async () => {
    const before = await o.podUids('app.kubernetes.io/instance=pg');
    await helm(['upgrade', RELEASE, chartDir, '-n', sys.name, '--reuse-values', '--wait', '--timeout', '3m', '--set', 'worker.logLevel=debug', '--set', 'watcher.resyncSeconds=3']);
    const status = JSON.parse((await helm(['status', RELEASE, '-n', sys.name, '-o', 'json'])).stdout) as { version: number };
    assert.equal(status.version, 2);
    // What a rollout of the Deployments does: the processes restart with the upgraded environment.
    await watcher?.stop();
    await worker?.stop();
    await startProcesses('2');
    assert.equal((await deploymentEnv(sys.name, `${RELEASE}-worker`)).OPSFLOW_LOG_LEVEL, 'debug');
    await new Promise((r) => setTimeout(r, 8000)); // a few resyncs of the upgraded watcher
    assert.deepEqual(await o.podUids('app.kubernetes.io/instance=pg'), before, 'the upgrade replaced no database Pod');
    assert.equal((await o.db('pg')).status?.phase, 'Ready');
    assert.deepEqual(await pgQuery(ns.name, 'pg', 'pg-0', 'SELECT v FROM kept'), [{ v: 'before the upgrade' }]);

    await o.pgops('pg-restart-2', { type: 'Restart', databaseRef: { name: 'pg' } });
    await o.successful('PostgresOpsRequest', 'pg-restart-2', 300_000);
    const after = await o.podUids('app.kubernetes.io/instance=pg');
    for (const pod of Object.keys(before)) assert.notEqual(after[pod], before[pod], `${pod} restarted by the upgraded worker`);
    assert.deepEqual(await pgQuery(ns.name, 'pg', 'pg-0', 'SELECT v FROM kept'), [{ v: 'before the upgrade' }], 'the data survived the upgrade and the restart');

    await watcher?.stop();
    await worker?.stop();
    await helm(['uninstall', RELEASE, '-n', sys.name, '--wait']);
    installed = false;
    assert.ok(await clients().custom.getClusterCustomObject({ group: 'opsflow.dev', version: 'v1alpha1', plural: 'postgresversions', name: '16.13' }), 'the catalog is kept (helm.sh/resource-policy: keep)');
    assert.equal((await o.db('pg')).status?.phase, 'Ready', 'the database is untouched');
    const roles = await kubectl(['get', 'clusterroles', '-o', 'name']);
    assert.doesNotMatch(roles, new RegExp(`${RELEASE}-worker`), 'the release\'s RBAC is gone');
  });
});
