// The Temporal Runtime of the worker: the SDK's own logs (worker, workflow and activity context
// loggers, and Core's forwarded logs) go through opsflow's JSON logger with the OpsRequest of the
// workflow; metrics (the SDK's and opsflow's from workflow code) are served for Prometheus.
import { Runtime, makeTelemetryFilterString, type Logger as SdkLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Fields, Logger } from '../logger.ts';
import { opsRequestOfWorkflowId } from './ids.ts';

/** Bucket boundaries (seconds) of opsflow's step-duration histogram: a few ms up to hours. */
export const STEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

type Meta = { workflowId?: unknown; runId?: unknown; start?: { workflowExecution?: { workflowId?: unknown } }; jobs?: Array<{ initializeWorkflow?: { workflowId?: unknown } }> };

/** Pure: the workflow id SDK log metadata names, at its top level or inside a task (activation jobs, activity start). */
export function workflowIdOf(meta: LogMetadata | undefined): string | undefined {
  const m = (meta ?? {}) as Meta;
  const id = m.workflowId ?? m.start?.workflowExecution?.workflowId ?? (Array.isArray(m.jobs) ? m.jobs.find((j) => j.initializeWorkflow)?.initializeWorkflow?.workflowId : undefined);
  return typeof id === 'string' ? id : undefined;
}

/** Pure: SDK log metadata as JSON-safe fields, with the workflow id (given or found) and the OpsRequest it names. */
export function sdkFields(meta: LogMetadata | undefined, knownWorkflowId?: string): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (v === undefined || typeof v === 'function') continue;
    if (typeof v === 'bigint') out[k] = v.toString();
    else if (v instanceof Error) out[k] = v.message;
    else out[k] = v;
  }
  const wf = workflowIdOf(meta) ?? knownWorkflowId;
  if (wf && out.workflowId === undefined) out.workflowId = wf;
  const ops = wf ? opsRequestOfWorkflowId(wf) : undefined;
  if (ops && out.opsRequest === undefined) out.opsRequest = ops;
  return out;
}

/** The SDK's Logger interface on top of opsflow's JSON logger. */
export function sdkLogger(log: Logger): SdkLogger {
  // Some SDK lines (workflow activations) name only the run: remember which workflow each run is.
  const runs = new Map<string, string>();
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const runId = typeof meta?.runId === 'string' ? meta.runId : undefined;
    const wf = workflowIdOf(meta);
    if (runId && wf && !runs.has(runId)) {
      if (runs.size >= 10_000) runs.delete(runs.keys().next().value ?? '');
      runs.set(runId, wf);
    }
    const f = sdkFields(meta, runId ? runs.get(runId) : undefined);
    if (level === 'ERROR') log.error(message, f);
    else if (level === 'WARN') log.warn(message, f);
    else if (level === 'INFO') log.info(message, f);
    else log.debug(message, f);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/** Installs the Runtime (once, before any connection): JSON logs, Prometheus metrics on metricsAddress. */
export function installRuntime(log: Logger, metricsAddress: string): Runtime {
  return Runtime.install({
    logger: sdkLogger(log.child({ component: 'temporal-sdk' })),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      metrics: {
        prometheus: {
          bindAddress: metricsAddress,
          countersTotalSuffix: true,
          histogramBucketOverrides: { opsflow_step_duration_seconds: STEP_DURATION_BUCKETS },
        },
      },
    },
  });
}
