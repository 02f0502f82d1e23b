// Definitions shared by workflows, activities, the watcher and the CLI: workflow inputs, the plan
// and its steps, queries and signals. Types and pure helpers only (safe inside the workflow sandbox).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { OpsKind } from '../api/registry.ts';
import type { ResourceRequirements } from '../api/resources.ts';

export type StepState = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';

export interface Step {
  /** Also the OpsRequest condition type: PauseDatabase, UpdateStatefulSet, RestartPod-pg-1, … */
  name: string;
  state: StepState;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export type OpsPhase = 'Pending' | 'WaitingForApproval' | 'Progressing' | 'Successful' | 'Failed' | 'Skipped';

export interface Progress {
  phase: OpsPhase;
  message: string;
  steps: Step[];
}

/** What the watcher (or CLI) passes to an ops workflow: references and the immutable spec, never secrets. */
export interface OpsInput {
  kind: OpsKind;
  namespace: string;
  name: string;
  uid: string;
  /** The OpsRequest spec as created (immutable by CEL rule, so safe to carry). */
  spec: {
    type: string;
    databaseRef?: { name: string };
    proxyRef?: { name: string };
    timeout?: string;
    apply?: 'IfReady' | 'Always';
    maxRetries?: number;
    /** Required: the run waits (phase WaitingForApproval) for the approve signal before its first change. */
    approval?: 'Required' | 'Automatic';
    updateVersion?: { targetVersion: string };
    /** PostgresOpsRequest: how the primary is updated in a rolling restart (default Switchover). */
    primaryUpdateMethod?: 'Switchover' | 'Restart';
    /** PostgresOpsRequest: the member to switch over to. */
    preferredPrimary?: string;
    configuration?: unknown;
    /** HorizontalScaling: Postgres replicas, ProxySQL member, SingleStore aggregator/leaf. */
    horizontalScaling?: { replicas?: number; member?: number; aggregator?: number; leaf?: number };
    /** PostgresOpsRequest VolumeExpansion: the new size and how. */
    volumeExpansion?: { mode: 'Online' | 'Offline'; postgres: string };
    /** VerticalScaling: each role's (container's) new resources, KubeDB's role keys. */
    verticalScaling?: Record<string, { resources: ResourceRequirements } | undefined>;
    /** PostgresOpsRequest RotateAuth: the Secret holding the new password (a name; absent: generated). */
    authentication?: { secretRef?: { name: string } };
  };
}

export interface OpsResult {
  phase: 'Successful' | 'Failed' | 'Skipped';
  message: string;
}

export const progressQuery = defineQuery<Progress>('progress');

/** Who approved a run whose spec.approval is Required (sent by `opsflow approve` or the watcher). */
export interface Approval {
  by: string;
}
export const approveSignal = defineSignal<[Approval]>('approve');

/** "The request ahead of you has ended": a queued run looks at the queue again (sent by the watcher). */
export const turnSignal = defineSignal('turn');

export const databaseNameOf = (input: OpsInput): string => input.spec.databaseRef?.name ?? input.spec.proxyRef?.name ?? '';
