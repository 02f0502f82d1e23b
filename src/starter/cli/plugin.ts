// kubectl plugin conventions: run as `kubectl opsflow …` (an executable named kubectl-opsflow on
// PATH, bin/kubectl-opsflow.js), the command names itself so in help and errors, and the global
// flags may come before the subcommand (`kubectl opsflow -n demo list`), as with kubectl itself.
import { basename } from 'node:path';

/** `kubectl opsflow` when started through kubectl's plugin mechanism, else `opsflow`. */
export function programName(argv1: string = process.argv[1] ?? ''): string {
  return basename(argv1).startsWith('kubectl-') ? 'kubectl opsflow' : 'opsflow';
}

const WITH_VALUE = new Set(['--kubeconfig', '--context', '-n', '--namespace', '--address', '-o', '--output']);
const BOOLEAN = new Set(['-A', '--all-namespaces']);

/** Pure: global flags written before the subcommand moved after it (`-n demo list` → `list -n demo`). */
export function hoistGlobalFlags(argv: string[]): string[] {
  const flags: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i] ?? '';
    const name = a.split('=')[0] ?? a;
    if (WITH_VALUE.has(name)) {
      const n = a.includes('=') ? 1 : 2;
      if (i + n > argv.length) break;
      flags.push(...argv.slice(i, i + n));
      i += n;
    } else if (BOOLEAN.has(a)) {
      flags.push(a);
      i += 1;
    } else break;
  }
  if (i === 0 || i >= argv.length) return argv;
  return [argv[i] ?? '', ...flags, ...argv.slice(i + 1)];
}
