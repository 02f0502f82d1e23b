// `opsflow`: the command line for OpsRequests. Dispatches to one file per command (loaded only when
// run, so --help is quick); every error ends as one line on stderr with a documented exit code
// (errors.ts EXIT).
import { CliError, EXIT, target, toCliError } from './errors.ts';
import { hoistGlobalFlags, programName } from './plugin.ts';
import { usages } from './usage.ts';

type Run = (argv: string[]) => Promise<number>;

const commands: Record<string, { load: () => Promise<Run>; usage: string; about: string }> = {
  submit: { load: async () => (await import('./submit.ts')).submit, usage: usages.submit, about: 'validate an OpsRequest file, create it and start its run' },
  'update-version': { load: async () => (await import('./update-version.ts')).updateVersion, usage: usages.updateVersion, about: 'update a database to another version' },
  restart: { load: async () => (await import('./restart.ts')).restart, usage: usages.restart, about: 'rolling restart of a database' },
  plan: { load: async () => (await import('./plan.ts')).plan, usage: usages.plan, about: 'dry run: the steps and Pod order, nothing changed' },
  status: { load: async () => (await import('./status.ts')).status, usage: usages.status, about: 'phase, steps, durations and the Web UI link of one OpsRequest' },
  list: { load: async () => (await import('./list.ts')).list, usage: usages.list, about: 'OpsRequests of every kind, filtered' },
  approve: { load: async () => (await import('./approve.ts')).approve, usage: usages.approve, about: 'approve a run waiting for approval' },
  cancel: { load: async () => (await import('./cancel.ts')).cancel, usage: usages.cancel, about: 'cancel a run (the database is resumed; the OpsRequest ends Failed)' },
  retry: { load: async () => (await import('./retry.ts')).retry, usage: usages.retry, about: 'start a Failed run again from its first unfinished step' },
  version: { load: async () => (await import('./version.ts')).version, usage: usages.version, about: 'print the opsflow version' },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    `usage: ${programName()} <command> [flags]`,
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.about}`),
    '',
    'Common flags: --kubeconfig <file>, --context <name>, --as <user> (impersonate, as kubectl), -n/--namespace <ns>, --address <host:port> (Temporal; default TEMPORAL_ADDRESS), -o/--output json|yaml; list: -A/--all-namespaces',
    'Exit codes: 0 success, 1 the operation Failed, 2 usage or bad input, 3 cluster or Temporal unreachable, 4 not found, 5 not allowed in the current state',
    '',
    ...Object.values(commands).map((c) => `  ${c.usage}`),
  ].join('\n').replace(/(^|\s)opsflow (?=[a-z<])/g, `$1${programName()} `);
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = hoistGlobalFlags(argv);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = commands[name];
  if (!cmd) throw new CliError(`unknown command ${name} (${programName()} --help lists them)`, EXIT.usage);
  return (await cmd.load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = toCliError(e, target.server);
    process.stderr.write(`${programName()}: ${err.message}\n`);
    process.exit(err.code);
  },
);
