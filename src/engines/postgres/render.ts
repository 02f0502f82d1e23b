// The Kubernetes objects of a Postgres (pure): one StatefulSet (OnDelete), a headless and a primary
// Service (following the role label), the scripts ConfigMap, the config Secret and the primary's
// PodDisruptionBudget.
import type { V1ConfigMap, V1Container, V1PodDisruptionBudget, V1StatefulSet } from '@kubernetes/client-node';
import type { Postgres } from '../../api/databases.ts';
import type { PostgresVersion } from '../../api/catalog.ts';
import {
  authSecretName, clientService, configSecret, configSecretName, governingService, meta, podIdentityEnv, ROLE_LABEL,
  secretEnv, selectorLabels, statefulSet, type Rendered,
} from '../common.ts';
import { defaultParams, mergeParams, parseConf, renderConf, USER_CONF_KEY, type PgParams } from './config.ts';
import { policyProblems } from './parameter-policy.ts';
import { renderedResources } from '../resources.ts';

export { CONFIG_DIR, CONFIG_FILE, DATA_DIR, PG_PORT, RUN_DIR, SCRIPTS_DIR } from './container.ts';
import { CONFIG_DIR, CONFIG_FILE, DATA_DIR, PG_PORT, RUN_DIR, SCRIPTS_DIR } from './container.ts';

export const scriptsConfigMapName = (pg: Postgres) => `${pg.metadata.name}-scripts`;
/** The primary is data: status.primary (moved by a switchover); a database without one has <name>-0. */
export const primaryPodName = (pg: Pick<Postgres, 'metadata' | 'status'>) => pg.status?.primary ?? `${pg.metadata.name}-0`;
/** The primary Service: selects the Pod labelled opsflow.dev/role=primary, so it follows a switchover. */
export const primaryServiceName = (pg: Pick<Postgres, 'metadata'>) => pg.metadata.name ?? '';
export const primarySelector = (pg: Postgres): Record<string, string> => ({ ...selectorLabels(pg), [ROLE_LABEL]: 'primary' });

export const primaryPdbName = (pg: Pick<Postgres, 'metadata'>) => `${pg.metadata.name}-primary`;

/**
 * The primary's PodDisruptionBudget (minAvailable 1, following the role label), as CloudNativePG
 * and the Zalando operator have: a node drain or any other eviction never takes the primary away;
 * the drain waits until the primary has moved (a switchover: an opsflow Restart with
 * primaryUpdateMethod Switchover). opsflow's own rolls delete Pods instead of evicting them, so the
 * budget never blocks them and is never relaxed.
 */
export function primaryDisruptionBudget(pg: Postgres): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(pg, primaryPdbName(pg)),
    spec: { minAvailable: 1, selector: { matchLabels: primarySelector(pg) } },
  };
}

export function podNames(pg: Postgres): string[] {
  return Array.from({ length: pg.spec.replicas }, (_, i) => `${pg.metadata.name}-${i}`);
}

/**
 * The merged parameters: defaults < the user's configSecret (`user.conf`). A text the strict parser
 * or the parameter policy refuses throws, naming `secretName` and the key: nothing is rendered.
 */
export function desiredParams(userSecretData: Record<string, string> | undefined, secretName?: string): PgParams {
  const user = userSecretData?.[USER_CONF_KEY];
  if (!user) return { ...defaultParams };
  const field = `spec.configSecret (Secret ${secretName ?? '?'}, key ${USER_CONF_KEY})`;
  let params: PgParams;
  try {
    params = parseConf(user);
  } catch (e) {
    throw new Error(`${field}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const refused = policyProblems(params, field);
  if (refused.length) throw new Error(refused.join('; '));
  return mergeParams(defaultParams, params);
}

export function postgresContainer(pg: Postgres, image: string): V1Container {
  const ns = pg.metadata.namespace ?? 'default';
  return {
    name: 'postgres',
    image,
    command: ['bash', `${SCRIPTS_DIR}/bootstrap.sh`],
    env: [
      ...podIdentityEnv,
      secretEnv('POSTGRES_USER', authSecretName(pg), 'username'),
      secretEnv('POSTGRES_PASSWORD', authSecretName(pg), 'password'),
      // The primary Service, not a Pod: a member that starts as a standby follows whichever Pod holds
      // the primary role (label) now, before and after any switchover.
      { name: 'PRIMARY_HOST', value: `${primaryServiceName(pg)}.${ns}.svc` },
      { name: 'DATA_DIR', value: DATA_DIR },
      { name: 'PGDATA', value: `${DATA_DIR}/data` },
      { name: 'CONFIG_DIR', value: CONFIG_DIR },
      { name: 'RUN_DIR', value: RUN_DIR },
      { name: 'PGPORT', value: String(PG_PORT) },
    ],
    ports: [{ name: 'postgres', containerPort: PG_PORT }],
    readinessProbe: { tcpSocket: { port: PG_PORT }, periodSeconds: 2, failureThreshold: 3 },
    ...renderedResources(pg.spec.podTemplate, 'postgres'),
    volumeMounts: [
      { name: 'data', mountPath: DATA_DIR },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true },
      { name: 'run', mountPath: RUN_DIR },
    ],
  };
}

export function renderStatefulSet(pg: Postgres, version: PostgresVersion): V1StatefulSet {
  return statefulSet(pg, {
    name: pg.metadata.name ?? '',
    replicas: pg.spec.replicas,
    containers: [postgresContainer(pg, version.spec.db.image)],
    volumes: [
      { name: 'config', secret: { secretName: configSecretName(pg) } },
      { name: 'scripts', configMap: { name: scriptsConfigMapName(pg), defaultMode: 0o555 } },
      { name: 'run', emptyDir: {} },
    ],
  });
}

export function renderPostgres(pg: Postgres, version: PostgresVersion, params: PgParams, scripts: Record<string, string>): Rendered {
  const ports = [{ name: 'postgres', port: PG_PORT }];
  const name = pg.metadata.name ?? '';
  const scriptsMap: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(pg, scriptsConfigMapName(pg)), data: scripts };
  return [
    scriptsMap,
    configSecret(pg, { [CONFIG_FILE]: renderConf(params) }),
    governingService(pg, ports),
    clientService(pg, name, primarySelector(pg), ports),
    renderStatefulSet(pg, version),
    primaryDisruptionBudget(pg),
  ];
}
