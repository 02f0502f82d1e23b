// opsflow's configuration, from the environment, validated at start-up with errors naming the variable.
import { z } from 'zod';

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  OPSFLOW_TASK_QUEUE: z.string().min(1).default('opsflow'),
  OPSFLOW_SYNC_MAX_LAG_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  OPSFLOW_SYNC_SIZE_TOLERANCE: z.coerce.number().min(0).max(1).default(0.2),
  OPSFLOW_DEFAULT_STEP_TIMEOUT: z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 10m').default('10m'),
  OPSFLOW_RESYNC_SECONDS: z.coerce.number().int().positive().default(300),
});

export type Config = {
  temporal: { address: string; namespace: string; uiUrl: string; taskQueue: string };
  sync: { maxLagBytes: number; sizeTolerance: number };
  defaultStepTimeout: string;
  resyncMs: number;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = r.data;
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, uiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''), taskQueue: e.OPSFLOW_TASK_QUEUE },
    sync: { maxLagBytes: e.OPSFLOW_SYNC_MAX_LAG_BYTES, sizeTolerance: e.OPSFLOW_SYNC_SIZE_TOLERANCE },
    defaultStepTimeout: e.OPSFLOW_DEFAULT_STEP_TIMEOUT,
    resyncMs: e.OPSFLOW_RESYNC_SECONDS * 1000,
  };
}
