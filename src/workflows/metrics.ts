// opsflow's own metrics, emitted from workflow code through the workflow metricMeter: the worker's
// Runtime exports them for Prometheus next to the SDK's. Replay-safe: the SDK drops metric calls
// while replaying, and they add no command to the history.
import { metricMeter } from '@temporalio/workflow';

type MetricCounter = ReturnType<typeof metricMeter.createCounter>;
type MetricHistogram = ReturnType<typeof metricMeter.createHistogram>;

/** Labels every opsflow metric carries: the OpsRequest kind and spec.type. */
export interface OpsMetricTags {
  kind: string;
  type: string;
}

// Instruments are created on first use (the meter only works inside a workflow context).
let operations: MetricCounter | undefined;
let stepDuration: MetricHistogram | undefined;
let podsRolled: MetricCounter | undefined;

/** Pure: a step's metric label, without the Pod name (RestartPod-pg-1 → RestartPod) to bound cardinality. */
export function stepLabel(step: string): string {
  return step.replace(/-.*$/, '');
}

/** One finished operation, by kind, type and outcome (Successful, Failed, Skipped). */
export function countOperation(tags: OpsMetricTags, outcome: string): void {
  operations ??= metricMeter.createCounter('opsflow_operations', '', 'OpsRequests finished, by kind, type and outcome');
  operations.add(1, { ...tags, outcome });
}

/** How long one step took (workflow clock), by step and its end state. */
export function recordStepDuration(tags: OpsMetricTags, step: string, state: string, seconds: number): void {
  stepDuration ??= metricMeter.createHistogram('opsflow_step_duration_seconds', 'float', 's', 'Duration of OpsRequest steps');
  stepDuration.record(Math.max(0, seconds), { ...tags, step: stepLabel(step), state });
}

/** One Pod deleted and replaced by a roll (an already rolled Pod is not counted). */
export function countPodRolled(tags: OpsMetricTags): void {
  podsRolled ??= metricMeter.createCounter('opsflow_pods_rolled', '', 'Pods replaced by OpsRequest rolls');
  podsRolled.add(1, { ...tags });
}
