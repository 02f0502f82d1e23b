// The watcher process: the provisioner (database CRs → StatefulSets, Services, Secrets) and the
// OpsRequest watcher (OpsRequest → one Temporal workflow). Several replicas elect a leader on a
// Lease: every replica keeps its informers warm, only the leader writes (its Kubernetes clients are
// fenced, see src/k8s/write-fence.ts) and starts runs. Stops cleanly on SIGTERM/SIGINT, releasing
// the Lease so a follower takes over at once.
import { loadConfigOrExit } from '../config.ts';
import { loadPostgresScripts } from '../engines/postgres/scripts.ts';
import { loadKubeConfig, makeKube } from '../k8s/client.ts';
import { alwaysLeader, LeaderElector, type Leadership } from '../k8s/leader-election.ts';
import { fenceWrites } from '../k8s/write-fence.ts';
import { createLogger } from '../logger.ts';
import { connectClient } from '../temporal/client.ts';
import { describeConnection } from '../temporal/connection.ts';
import { leaderElectionConfig, watcherIntervals } from './leader-config.ts';
import { serveStateMetrics } from './metrics-server.ts';
import { OpsWatcher } from './ops-watcher.ts';
import { Provisioner } from './provisioner.ts';
import { TemporalRuns } from './run-status.ts';

const log = createLogger({ component: 'watcher' });
const config = loadConfigOrExit(log);
let election;
let intervals;
try {
  election = leaderElectionConfig();
  intervals = watcherIntervals();
} catch (e) {
  log.error((e as Error).message);
  process.exit(2);
}
const namespace = process.env.OPSFLOW_WATCH_NAMESPACE;
// Filled in below; the elector's callback may fire only after both exist (it starts last).
const parts: { provisioner?: Provisioner; ops?: OpsWatcher } = {};
const elector = election
  ? new LeaderElector({
      ...election, kc: loadKubeConfig(), log,
      // A new leader works from its warm caches: every cached object is reconciled again, no re-list.
      onStartedLeading: () => { parts.provisioner?.resync(); parts.ops?.resync(); },
    })
  : undefined;
const leadership: Leadership = elector ?? alwaysLeader;
const identity = election?.identity ?? 'single';
// Writes are fenced by leadership and logged at debug (the HA tests count them by identity).
const kube = makeKube(fenceWrites(loadKubeConfig(), leadership, (method, path) => log.debug('k8s write', { identity, method, path })));
const client = await connectClient(config.temporal);
const runs = new TemporalRuns(client);
const provisioner = new Provisioner({ kube, log, scripts: loadPostgresScripts(), resyncMs: config.resyncMs, namespace, leadership, runs, pauseCheckMs: intervals.pauseCheckMs });
const ops = new OpsWatcher({ kube, client, temporal: config.temporal, log, resyncMs: config.resyncMs, namespace, leadership, runs, runCheckMs: intervals.runCheckMs });
Object.assign(parts, { provisioner, ops });
await provisioner.start();
await ops.start();
if (config.metrics.watcherAddress) {
  const address = config.metrics.watcherAddress;
  await serveStateMetrics({ kube, log, address, namespace, defaultTimeout: config.defaultStepTimeout }).catch((e: unknown) => {
    log.error(`OPSFLOW_WATCHER_METRICS_ADDRESS: cannot serve metrics on ${address}: ${(e as Error).message}`);
    process.exit(2);
  });
  log.info('watcher metrics', { metrics: `http://${address}/metrics` });
}
elector?.start();
log.info('watcher ready', {
  ...describeConnection(config.temporal), taskQueue: config.temporal.taskQueue,
  leaderElection: election ? { lease: `${election.namespace}/${election.name}`, identity } : 'disabled',
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal: sig });
    // Leadership first: the writes stop and the Lease is released before the informers go.
    (elector?.stop() ?? Promise.resolve())
      .then(() => Promise.all([provisioner.stop(), ops.stop()]))
      .then(() => process.exit(0), () => process.exit(1));
  });
}
