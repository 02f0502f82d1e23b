// metav1.Condition helpers (pure): set a condition, keeping lastTransitionTime when status is unchanged.
import type { Condition } from './common.ts';

export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
  observedGeneration?: number;
}

export function setCondition(conditions: readonly Condition[] | undefined, c: ConditionInput, now: string): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: c.type, status: c.status, reason: c.reason, message: c.message,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
    ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
