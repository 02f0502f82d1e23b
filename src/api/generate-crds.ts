// `npm run gen:crds`: writes k8s/crds/<plural>.yaml from the zod schemas, and the Helm chart's copies
// (charts/opsflow/crds, its catalog template). A test fails on drift.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chartFiles } from './chart-files.ts';
import { crdFiles } from './crd-files.ts';

const repo = join(import.meta.dirname, '..', '..');
const out: Array<[string, string]> = [
  ...crdFiles().map(([f, t]): [string, string] => [join('k8s', 'crds', f), t]),
  ...chartFiles().map(([f, t]): [string, string] => [join('charts', 'opsflow', f), t]),
];
for (const [file, text] of out) {
  mkdirSync(dirname(join(repo, file)), { recursive: true });
  writeFileSync(join(repo, file), text);
  process.stdout.write(`wrote ${file}\n`);
}
