// Exports a finished run's event history to test/histories/<name>.json, for the replay test.
// Usage: node --import tsx scripts/export-history.ts <workflowId> <name>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { connectClient } from '../src/temporal/client.ts';

const [workflowId, name] = process.argv.slice(2);
if (!workflowId || !name) {
  process.stderr.write('usage: export-history.ts <workflowId> <name>\n');
  process.exit(2);
}
const config = loadConfig();
const client = await connectClient(config.temporal);
const handle = client.workflow.getHandle(workflowId);
const desc = await handle.describe();
const history = await handle.fetchHistory();
const file = join(import.meta.dirname, '..', 'test', 'histories', `${name}.json`);
// The History message's own JSON form (protobufjs toJSON: int64, enums and bytes as strings); test/unit/replay.test.ts
// turns it back with History.fromObject (the SDK's own JSON path trips over duplicate protobufjs copies).
writeFileSync(file, JSON.stringify({ workflowId, workflowType: desc.type, status: desc.status.name, history }, null, 1) + '\n');
process.stdout.write(`wrote ${file} (${history.events?.length ?? 0} events, ${desc.type}, ${desc.status.name})\n`);
await client.connection.close();
