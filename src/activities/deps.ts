// What activities need from the outside world; tests inject real or fake ones.
import type { Config } from '../config.ts';
import type { Kube } from '../k8s/client.ts';
import type { Logger } from '../logger.ts';
import type { RunLookup } from '../temporal/run-lookup.ts';

export interface ActivityDeps {
  kube: Kube;
  log: Logger;
  config: Pick<Config, 'sync' | 'temporal'>;
  /** How often long activities poll the cluster (ms). */
  pollMs?: number;
  /** Whether a run is open (WaitForTurn never waits on a closed run); absent: every run counts as open. */
  runs?: RunLookup;
}
