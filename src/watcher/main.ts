// The watcher process: the provisioner (database CRs → StatefulSets, Services, Secrets) and the
// OpsRequest watcher (OpsRequest → one Temporal workflow). Stops cleanly on SIGTERM/SIGINT.
import { loadConfigOrExit } from '../config.ts';
import { loadPostgresScripts } from '../engines/postgres/scripts.ts';
import { makeKube } from '../k8s/client.ts';
import { createLogger } from '../logger.ts';
import { connectClient } from '../temporal/client.ts';
import { describeConnection } from '../temporal/connection.ts';
import { serveStateMetrics } from './metrics-server.ts';
import { OpsWatcher } from './ops-watcher.ts';
import { Provisioner } from './provisioner.ts';

const log = createLogger({ component: 'watcher' });
const config = loadConfigOrExit(log);
const kube = makeKube();
const namespace = process.env.OPSFLOW_WATCH_NAMESPACE;
const provisioner = new Provisioner({ kube, log, scripts: loadPostgresScripts(), resyncMs: config.resyncMs, namespace });
const client = await connectClient(config.temporal);
const ops = new OpsWatcher({ kube, client, temporal: config.temporal, log, resyncMs: config.resyncMs, namespace });
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
log.info('watcher ready', { ...describeConnection(config.temporal), taskQueue: config.temporal.taskQueue });

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal: sig });
    Promise.all([provisioner.stop(), ops.stop()]).then(() => process.exit(0), () => process.exit(1));
  });
}
