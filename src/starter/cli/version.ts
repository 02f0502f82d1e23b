// opsflow version: the version of this opsflow (package.json), as kubectl plugins report theirs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from './args.ts';
import { EXIT } from './errors.ts';
import { printJson, setOutputFormat } from './output.ts';
import { usages } from './usage.ts';

export async function version(argv: string[]): Promise<number> {
  const a = parse(argv, {}, usages.version);
  if (!a) return EXIT.ok;
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  const out = a.values.output;
  if (out === 'json' || out === 'yaml') {
    setOutputFormat(out);
    printJson({ opsflow: pkg.version });
  } else process.stdout.write(`opsflow ${pkg.version}\n`);
  return EXIT.ok;
}
