// `opsflow`: the command line for OpsRequests. Dispatches to one file per command; every error ends
// as one line on stderr with a documented exit code (errors.ts EXIT).
import { approve, usage as approveUsage } from './approve.ts';
import { cancel, usage as cancelUsage } from './cancel.ts';
import { CliError, EXIT, target, toCliError } from './errors.ts';
import { list, usage as listUsage } from './list.ts';
import { plan, usage as planUsage } from './plan.ts';
import { restart, usage as restartUsage } from './restart.ts';
import { retry, usage as retryUsage } from './retry.ts';
import { status, usage as statusUsage } from './status.ts';
import { submit, usage as submitUsage } from './submit.ts';
import { updateVersion, usage as updateVersionUsage } from './update-version.ts';

const commands: Record<string, { run: (argv: string[]) => Promise<number>; usage: string; about: string }> = {
  submit: { run: submit, usage: submitUsage, about: 'validate an OpsRequest file, create it and start its run' },
  'update-version': { run: updateVersion, usage: updateVersionUsage, about: 'update a database to another version' },
  restart: { run: restart, usage: restartUsage, about: 'rolling restart of a database' },
  plan: { run: plan, usage: planUsage, about: 'dry run: the steps and Pod order, nothing changed' },
  status: { run: status, usage: statusUsage, about: 'phase, steps, durations and the Web UI link of one OpsRequest' },
  list: { run: list, usage: listUsage, about: 'OpsRequests of every kind, filtered' },
  approve: { run: approve, usage: approveUsage, about: 'approve a run waiting for approval' },
  cancel: { run: cancel, usage: cancelUsage, about: 'cancel a run (the database is resumed; the OpsRequest ends Failed)' },
  retry: { run: retry, usage: retryUsage, about: 'start a Failed run again from its first unfinished step' },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: opsflow <command> [flags]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.about}`),
    '',
    'Common flags: --kubeconfig <file>, --context <name>, -n/--namespace <ns>, --address <host:port> (Temporal; default TEMPORAL_ADDRESS), -o/--output json',
    'Exit codes: 0 success, 1 the operation Failed, 2 usage or bad input, 3 cluster or Temporal unreachable, 4 not found, 5 not allowed in the current state',
    '',
    ...Object.values(commands).map((c) => `  ${c.usage}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = commands[name];
  if (!cmd) throw new CliError(`unknown command ${name} (opsflow --help lists them)`, EXIT.usage);
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = toCliError(e, target.server);
    process.stderr.write(`opsflow: ${err.message}\n`);
    process.exit(err.code);
  },
);
