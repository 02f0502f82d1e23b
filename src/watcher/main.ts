// The watcher process: the provisioner (database CRs → StatefulSets, Services, Secrets) and,
// with the ops issue, the OpsRequest → workflow starter. Stops cleanly on SIGTERM/SIGINT.
import { loadPostgresScripts } from '../engines/postgres/scripts.ts';
import { makeKube } from '../k8s/client.ts';
import { createLogger } from '../logger.ts';
import { Provisioner } from './provisioner.ts';

const log = createLogger({ component: 'watcher' });
const resyncMs = Number(process.env.OPSFLOW_RESYNC_SECONDS ?? 300) * 1000;
const provisioner = new Provisioner({ kube: makeKube(), log, scripts: loadPostgresScripts(), resyncMs, namespace: process.env.OPSFLOW_WATCH_NAMESPACE });
await provisioner.start();

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal: sig });
    provisioner.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
