// Reads opsflow's Postgres container scripts, which the provisioner ships in each database's
// scripts ConfigMap (side effect: file reads; called by entry points only).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const postgresScriptsDir = join(import.meta.dirname, 'scripts');

export function loadPostgresScripts(dir = postgresScriptsDir): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.sh')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}
