// Preloaded into a watcher or worker process by bench/load.ts (NODE_OPTIONS=--import): counts the
// process's HTTP requests (client-node sends every Kubernetes API call, lists and watches
// included, through undici; Temporal uses gRPC), by method and path, written as JSON to
// OPSFLOW_BENCH_REQUESTS_FILE each second.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const counts = {};
subscribe('undici:request:create', ({ request }) => {
  const key = `${request.method} ${String(request.path).split('?')[0]}`;
  counts[key] = (counts[key] ?? 0) + 1;
});
const file = process.env.OPSFLOW_BENCH_REQUESTS_FILE;
if (file) setInterval(() => writeFileSync(file, JSON.stringify(counts)), 1000).unref();
