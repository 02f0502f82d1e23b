// opsflow's configuration, from the environment, validated at start-up with errors naming the variable.
import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { StepTimeoutSchema } from './api/common.ts';

const bool = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1');
/** A path to a regular file this process can read (checked now, so a typo fails at start-up, not at the first connection). */
const readableFile = z.string().min(1).superRefine((p, ctx) => {
  try {
    if (!statSync(p).isFile()) throw new Error('not a regular file');
    accessSync(p, constants.R_OK);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `${p} is not a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
  }
});
/** host:port to listen on (the metrics endpoint defaults to loopback; a Deployment sets 0.0.0.0 for Prometheus). */
const listenAddress = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port');

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CA_PATH: readableFile.optional(),
  TEMPORAL_TLS_CERT_PATH: readableFile.optional(),
  TEMPORAL_TLS_KEY_PATH: readableFile.optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1, 'must not be empty (unset it instead)').optional(),
  OPSFLOW_TASK_QUEUE: z.string().min(1).default('opsflow'),
  OPSFLOW_SYNC_MAX_LAG_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  OPSFLOW_SYNC_SIZE_TOLERANCE: z.coerce.number().min(0).max(1).default(0.2),
  OPSFLOW_DEFAULT_STEP_TIMEOUT: StepTimeoutSchema.default('10m'),
  OPSFLOW_RESYNC_SECONDS: z.coerce.number().int().positive().default(300),
  // The worker's concurrent activity slots (the SDK's maxConcurrentActivityTaskExecutions). Queued
  // requests hold none: they wait inside their workflow.
  OPSFLOW_WORKER_MAX_ACTIVITIES: z.coerce.number().int().positive().default(100),
  OPSFLOW_METRICS_ADDRESS: listenAddress.default('127.0.0.1:9464'),
  // The watcher's state metrics: off unless set (the chart sets 0.0.0.0:9465).
  OPSFLOW_WATCHER_METRICS_ADDRESS: listenAddress.optional(),
}).superRefine((e, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
    const missing = e.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
    issue(missing, 'mTLS needs both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH; set the missing one');
  }
  if (e.TEMPORAL_TLS === false) {
    for (const v of ['TEMPORAL_TLS_CA_PATH', 'TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY'] as const) {
      if (e[v] !== undefined) issue(v, `set while TEMPORAL_TLS is false; ${v === 'TEMPORAL_API_KEY' ? 'an API key is only sent over TLS' : 'it only applies to TLS'}`);
    }
  }
});

export interface TemporalTlsConfig {
  caPath?: string;
  certPath?: string;
  keyPath?: string;
  serverName?: string;
}

export type Config = {
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string;
    taskQueue: string;
    /** TLS to the frontend (TEMPORAL_TLS, implied by any TEMPORAL_TLS_* variable or an API key). */
    tls?: TemporalTlsConfig;
    /** Temporal Cloud API key: a secret, never logged. */
    apiKey?: string;
  };
  sync: { maxLagBytes: number; sizeTolerance: number };
  defaultStepTimeout: string;
  resyncMs: number;
  worker: { maxConcurrentActivities: number };
  metrics: { address: string; watcherAddress?: string };
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset (e.g. `TEMPORAL_TLS_CA_PATH=` in an env file).
  const r = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = r.data;
  const tlsOn = e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CA_PATH ?? e.TEMPORAL_TLS_CERT_PATH ?? e.TEMPORAL_TLS_SERVER_NAME ?? e.TEMPORAL_API_KEY);
  const tls: TemporalTlsConfig | undefined = tlsOn
    ? {
        ...(e.TEMPORAL_TLS_CA_PATH ? { caPath: e.TEMPORAL_TLS_CA_PATH } : {}),
        ...(e.TEMPORAL_TLS_CERT_PATH ? { certPath: e.TEMPORAL_TLS_CERT_PATH } : {}),
        ...(e.TEMPORAL_TLS_KEY_PATH ? { keyPath: e.TEMPORAL_TLS_KEY_PATH } : {}),
        ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
      }
    : undefined;
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, uiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''), taskQueue: e.OPSFLOW_TASK_QUEUE,
      ...(tls ? { tls } : {}),
      ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    },
    sync: { maxLagBytes: e.OPSFLOW_SYNC_MAX_LAG_BYTES, sizeTolerance: e.OPSFLOW_SYNC_SIZE_TOLERANCE },
    defaultStepTimeout: e.OPSFLOW_DEFAULT_STEP_TIMEOUT,
    resyncMs: e.OPSFLOW_RESYNC_SECONDS * 1000,
    worker: { maxConcurrentActivities: e.OPSFLOW_WORKER_MAX_ACTIVITIES },
    metrics: { address: e.OPSFLOW_METRICS_ADDRESS, ...(e.OPSFLOW_WATCHER_METRICS_ADDRESS ? { watcherAddress: e.OPSFLOW_WATCHER_METRICS_ADDRESS } : {}) },
  };
}

/** loadConfig for a process entry point: an invalid environment is logged (naming the variable) and exits 2. */
export function loadConfigOrExit(log: { error(msg: string): void }, env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    log.error((e as Error).message);
    process.exit(2);
  }
}
