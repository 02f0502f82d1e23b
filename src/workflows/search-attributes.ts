// What the Temporal Web UI shows of a run while it goes: the OpsflowPhase search attribute (so a list
// filter such as `OpsflowPhase="Failed"` finds every failed OpsRequest) and the run's "Current
// details" (phase, database, current step). Called by the Tracker on every phase and step change.
// The upsert is a workflow command, so it is behind patched(): histories recorded before it replay
// unchanged; current details are query metadata and add no command.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { patched, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Progress } from './shared.ts';

export const PHASE_ATTRIBUTE = defineSearchAttributeKey('OpsflowPhase', SearchAttributeType.KEYWORD);
const DATABASE_ATTRIBUTE = defineSearchAttributeKey('OpsflowDatabase', SearchAttributeType.KEYWORD);
const NAMESPACE_ATTRIBUTE = defineSearchAttributeKey('OpsflowNamespace', SearchAttributeType.KEYWORD);

/** Pure: the markdown of the run's current details: phase, database, the current (or last) step. */
export function runDetails(p: Progress, database?: string): string {
  const current = p.steps.find((s) => s.state === 'Running') ?? [...p.steps].reverse().find((s) => s.state !== 'Pending');
  const step = current ? `${current.name} (${current.state})${current.message ? `: ${current.message}` : ''}` : 'none yet';
  return [
    `**Phase:** ${p.phase} — ${p.message}`,
    ...(database ? [`**Database:** ${database}`] : []),
    `**Step:** ${step}`,
  ].join('\n\n');
}

/** Mirrors a progress snapshot into the run's search attributes and current details. */
export function publishRunState(p: Progress): void {
  const sa = workflowInfo().typedSearchAttributes;
  const ns = sa.get(NAMESPACE_ATTRIBUTE);
  const db = sa.get(DATABASE_ATTRIBUTE);
  setCurrentDetails(runDetails(p, db ? `${ns ? `${ns}/` : ''}${db}` : undefined));
  if (sa.get(PHASE_ATTRIBUTE) !== p.phase && patched('opsflow-phase-search-attribute')) {
    upsertSearchAttributes([{ key: PHASE_ATTRIBUTE, value: p.phase }]);
  }
}
