// The Temporal Runtime of the worker: the SDK's own logs (worker, workflow and activity context
// loggers, and Core's forwarded logs) go through opsflow's JSON logger with the OpsRequest of the
// workflow; metrics (the SDK's and opsflow's from workflow code) are served for Prometheus.
import { Runtime, makeTelemetryFilterString, type Logger as SdkLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Fields, Logger } from '../logger.ts';
import { opsRequestOfWorkflowId } from './ids.ts';

/** Bucket boundaries (seconds) of opsflow's step-duration histogram: a few ms up to hours. */
export const STEP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Pure: SDK log metadata as JSON-safe fields, with the OpsRequest its workflow id names. */
export function sdkFields(meta: LogMetadata | undefined): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (v === undefined || typeof v === 'function') continue;
    if (typeof v === 'bigint') out[k] = v.toString();
    else if (v instanceof Error) out[k] = v.message;
    else out[k] = v;
  }
  const wf = typeof out.workflowId === 'string' ? out.workflowId : undefined;
  const ops = wf ? opsRequestOfWorkflowId(wf) : undefined;
  if (ops && out.opsRequest === undefined) out.opsRequest = ops;
  return out;
}

/** The SDK's Logger interface on top of opsflow's JSON logger. */
export function sdkLogger(log: Logger): SdkLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const f = sdkFields(meta);
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
