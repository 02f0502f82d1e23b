// What activities need from the outside world; tests inject real or fake ones.
import type { Config } from '../config.ts';
import type { Kube } from '../k8s/client.ts';
import type { Logger } from '../logger.ts';

export interface ActivityDeps {
  kube: Kube;
  log: Logger;
  config: Pick<Config, 'sync' | 'temporal'>;
  /** How often long activities poll the cluster (ms). */
  pollMs?: number;
}
