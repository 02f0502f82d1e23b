// `npm run gen:crds`: writes k8s/crds/<plural>.yaml from the zod schemas. A test fails on drift.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crdFiles } from './crd-files.ts';

const dir = join(import.meta.dirname, '..', '..', 'k8s', 'crds');
mkdirSync(dir, { recursive: true });
for (const [file, text] of crdFiles()) {
  writeFileSync(join(dir, file), text);
  process.stdout.write(`wrote k8s/crds/${file}\n`);
}
