// Preloaded into a watcher or worker process by bench/load.ts (NODE_OPTIONS=--import): counts the
// process's HTTP requests (client-node sends every Kubernetes API call, lists and watches
// included, through undici; Temporal uses gRPC), written to OPSFLOW_BENCH_REQUESTS_FILE each second.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

let requests = 0;
subscribe('undici:request:create', () => {
  requests++;
});
const file = process.env.OPSFLOW_BENCH_REQUESTS_FILE;
if (file) setInterval(() => writeFileSync(file, String(requests)), 1000).unref();
