// What every command shares: common flags, the Kubernetes connection (KUBECONFIG / ~/.kube/config,
// --kubeconfig, --context, --as, -n) and the Temporal connection (environment, --address), opened lazily.
import { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../config.ts';
import { makeKube, type Kube } from '../../k8s/client.ts';
import { CliError, EXIT, target } from './errors.ts';
import { setOutputFormat } from './output.ts';

export const commonOptions = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  as: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  address: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CommonFlags {
  kubeconfig?: string;
  context?: string;
  /** Impersonate this user (as kubectl --as): the API server checks that you may. */
  as?: string;
  namespace?: string;
  address?: string;
  output?: string;
}

export interface Ctx {
  kube: Kube;
  namespace: string;
  server: string;
  json: boolean;
  config: Config;
  temporal(): Promise<Client>;
  /** Human output (stdout); silent with --output json. */
  say(line: string): void;
}

export function makeCtx(flags: CommonFlags): Ctx {
  if (flags.output !== undefined && !['json', 'yaml', 'text'].includes(flags.output)) {
    throw new CliError(`--output: must be json, yaml or text, not ${flags.output}`, EXIT.usage);
  }
  if (flags.output === 'json' || flags.output === 'yaml') setOutputFormat(flags.output);
  let config: Config;
  try {
    config = loadConfig({ ...process.env, ...(flags.address ? { TEMPORAL_ADDRESS: flags.address } : {}) });
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e), EXIT.usage);
  }
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new CliError(`--kubeconfig: cannot read ${flags.kubeconfig}: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage);
  }
  if (flags.context) {
    if (!kc.getContextObject(flags.context)) throw new CliError(`--context: no context named ${flags.context} in the kubeconfig`, EXIT.usage);
    kc.setCurrentContext(flags.context);
  }
  if (flags.as) impersonate(kc, flags.as);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new CliError('no Kubernetes cluster configured: set KUBECONFIG or pass --kubeconfig', EXIT.unreachable);
  target.server = cluster.server;
  // Machine output (json or yaml): one document on stdout, no human lines.
  const json = flags.output === 'json' || flags.output === 'yaml';
  let client: Promise<Client> | undefined;
  return {
    kube: makeKube(kc),
    namespace: flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default',
    server: cluster.server,
    json,
    config,
    temporal: () => (client ??= connectTemporal(config.temporal)),
    say: (line) => {
      if (!json) process.stdout.write(`${line}\n`);
    },
  };
}

/** Every request as `user` (Impersonate-User header); the API server authorizes the impersonation. */
function impersonate(kc: KubeConfig, user: string): void {
  const current = kc.getCurrentUser();
  if (!current) throw new CliError('--as: the kubeconfig has no user for the current context', EXIT.usage);
  kc.loadFromOptions({
    clusters: kc.clusters, contexts: kc.contexts, currentContext: kc.getCurrentContext(),
    users: kc.users.map((u) => (u.name === current.name ? { ...u, impersonateUser: user } : u)),
  });
}

async function connectTemporal(cfg: Config['temporal']): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: cfg.address, connectTimeout: '5s' });
    return new Client({ connection, namespace: cfg.namespace });
  } catch (e) {
    throw new CliError(`cannot reach Temporal at ${cfg.address} (TEMPORAL_ADDRESS or --address): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, EXIT.unreachable);
  }
}
