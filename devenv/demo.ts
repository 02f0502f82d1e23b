// `npm run demo`: the main job end to end on the local defaults. Brings up Temporal (with its Web
// UI), the local cluster and its data plane, starts the watcher and the worker, creates a 3-member
// Postgres 16, updates it to a newer 16 (minor) and then to 17 (major, pg_upgrade), showing the
// progress of each run, and ends with the runs' Web UI links and the versions the servers report.
// The stack stays up for inspection; `npm run infra:down` stops it.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { API_VERSION, GROUP, VERSION } from '../src/api/common.ts';
import type { OpsRequestStatus } from '../src/api/opsrequests.ts';
import { makeKube } from '../src/k8s/client.ts';
import { kubectl } from './cluster.ts';
import { installCrdsAndCatalog } from './crds.ts';
import { repoDir, stateDir } from './paths.ts';
import { eventually, spawnOpsflow } from './process.ts';
import { startStack } from './stack.ts';

const NS = 'demo';
const DB = 'pg';
const say = (s: string) => process.stdout.write(`${s}\n`);

const stack = await startStack();
process.env.KUBECONFIG = stack.kubeconfig;
const kube = makeKube();
await installCrdsAndCatalog();

function start(which: 'watcher' | 'worker'): ChildProcess {
  const log = join(stateDir, 'demo', `${which}.log`);
  say(`starting the ${which} (log: ${log})`);
  return spawnOpsflow(which, { TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_UI_URL: stack.temporalUi, OPSFLOW_WATCH_NAMESPACE: NS, OPSFLOW_RESYNC_SECONDS: '10' }, log);
}

const get = async <T>(plural: string, name: string) => (await kube.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: NS, name })) as T;

async function serverVersions(): Promise<string[]> {
  const secret = await kube.core.readNamespacedSecret({ name: `${DB}-auth`, namespace: NS });
  const dec = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString();
  const out: string[] = [];
  for (const pod of [0, 1, 2].map((i) => `${DB}-${i}`)) {
    const ip = (await kube.core.readNamespacedPod({ name: pod, namespace: NS })).status?.podIP;
    const c = new pg.Client({ host: ip, port: 5432, user: dec('username'), password: dec('password'), database: 'postgres' });
    await c.connect();
    const v = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    await c.end();
    out.push(`${pod} (${ip}): PostgreSQL ${v}`);
  }
  return out;
}

async function runOps(name: string, target: string): Promise<string> {
  say(`\n== ${name}: UpdateVersion ${DB} → ${target}`);
  await kubectl(['apply', '-n', NS, '-f', '-'], stringify({
    apiVersion: API_VERSION, kind: 'PostgresOpsRequest', metadata: { name },
    spec: { type: 'UpdateVersion', databaseRef: { name: DB }, updateVersion: { targetVersion: target }, timeout: '5m' },
  }));
  const shown = new Map<string, string>();
  const final = await eventually(`${name} to finish`, async () => {
    const o = await get<{ status?: OpsRequestStatus }>('postgresopsrequests', name);
    for (const c of o.status?.conditions ?? []) {
      const line = `${c.status === 'True' ? '✔' : c.status === 'False' ? '✗' : '…'} ${c.type}${c.message ? `: ${c.message}` : ''}`;
      if (shown.get(c.type) !== line) {
        shown.set(c.type, line);
        say(`   ${line}`);
      }
    }
    return ['Successful', 'Failed', 'Skipped'].includes(o.status?.phase ?? '') ? o.status : undefined;
  }, 600_000, 500);
  say(`   ${final?.phase}: ${final?.message}`);
  if (final?.phase !== 'Successful') throw new Error(`${name} ended ${final?.phase}: ${final?.message}`);
  return final.workflow?.url ?? '(no link)';
}

const children = [start('watcher'), start('worker')];
try {
  // A fresh demo namespace each time.
  await kube.core.deleteNamespace({ name: NS }).catch(() => undefined);
  await eventually('the old demo namespace to go', async () => {
    try {
      await kube.core.readNamespace({ name: NS });
      return undefined;
    } catch {
      return true;
    }
  }, 180_000, 500);
  await kubectl(['apply', '-f', join(repoDir, 'k8s', 'examples', 'postgres.yaml')]);
  say(`\n== creating Postgres ${NS}/${DB}: 3 members on 16.13 (real postgres processes behind the Pods)`);
  await eventually(`${DB} Ready`, async () => ((await get<{ status?: { phase?: string } }>('postgreses', DB)).status?.phase === 'Ready' ? true : undefined), 600_000, 500);
  for (const v of await serverVersions()) say(`   ${v}`);
  const minor = await runOps('pg-minor', '16.15');
  const major = await runOps('pg-major', '17.11');
  say('\n== done');
  for (const v of await serverVersions()) say(`   ${v}`);
  say(`\nTemporal Web UI: ${stack.temporalUi}`);
  say(`   pg-minor: ${minor}`);
  say(`   pg-major: ${major}`);
  say(`KUBECONFIG=${stack.kubeconfig} kubectl get postgres,pgops -n ${NS}`);
  say('The stack keeps running for inspection; stop it with `npm run infra:down`.');
} finally {
  for (const c of children) c.kill('SIGTERM');
}
