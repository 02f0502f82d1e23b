// Shapes shared by every opsflow kind: API group, object metadata, references, conditions.
import { z } from 'zod';
import { DURATION_PATTERN, TIMEOUT_MAX, TIMEOUT_MIN, timeoutProblem } from './duration.ts';

export const GROUP = 'opsflow.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The parts of metav1.ObjectMeta opsflow reads; everything else passes through untouched. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/** A DNS-1123 label: what a StatefulSet or Pod name built from this name must be. */
export const NameSchema = z.string().min(1).max(53).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS-1123 label');

export const LocalObjectReferenceSchema = z.object({ name: z.string().min(1) });
export type LocalObjectReference = z.infer<typeof LocalObjectReferenceSchema>;

export const ConditionStatusSchema = z.enum(['True', 'False', 'Unknown']);

/** The standard metav1.Condition shape. */
export const ConditionSchema = z.object({
  type: z.string().min(1),
  status: ConditionStatusSchema,
  reason: z.string().min(1),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;

/** A Go-style duration such as 30s, 5m or 1h30m (the grammar of src/api/duration.ts). */
export const DurationSchema = z.string().max(32).regex(DURATION_PATTERN, 'must be a duration such as 30s, 5m or 1h30m');

/** spec.timeout of an OpsRequest: a duration within TIMEOUT_MIN .. TIMEOUT_MAX (CEL's duration() reads the same grammar). */
export const StepTimeoutSchema = DurationSchema
  .refine((v) => timeoutProblem(v) === undefined, { message: `must be between ${TIMEOUT_MIN} and ${TIMEOUT_MAX}` })
  .meta({ 'x-kubernetes-validations': [{ rule: `duration(self) >= duration('${TIMEOUT_MIN}') && duration(self) <= duration('${TIMEOUT_MAX}')`, message: `must be between ${TIMEOUT_MIN} and ${TIMEOUT_MAX}` }] });

/** Persistent storage of a database member, shaped like a PersistentVolumeClaim spec. */
export const StorageSpecSchema = z.object({
  storageClassName: z.string().optional(),
  accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])).optional(),
  resources: z.object({ requests: z.object({ storage: z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a quantity such as 1Gi') }) }).optional(),
});
export type StorageSpec = z.infer<typeof StorageSpecSchema>;

export const StorageTypeSchema = z.enum(['Durable', 'Ephemeral']);
export const DeletionPolicySchema = z.enum(['Delete', 'Halt', 'WipeOut', 'DoNotTerminate']);

export const DatabasePhaseSchema = z.enum(['Provisioning', 'Ready', 'NotReady', 'Paused', 'Failed']);
export type DatabasePhase = z.infer<typeof DatabasePhaseSchema>;

/** What the running StatefulSets were last rendered from (the provisioner renders these, not spec, once provisioned). */
export const AppliedStateSchema = z.object({
  version: z.string().min(1),
  configSecrets: z.record(z.string(), z.string()).optional().meta({ description: 'Config Secret name by spec field path (e.g. spec.configSecret); absent: no custom config' }),
  replicas: z.record(z.string(), z.number().int()).optional().meta({ description: 'Member count by spec field path (e.g. spec.replicas), set by HorizontalScaling; absent: the spec\'s' }),
});
export type AppliedState = z.infer<typeof AppliedStateSchema>;

export const DatabaseStatusSchema = z.object({
  phase: DatabasePhaseSchema.optional(),
  applied: AppliedStateSchema.optional(),
  primary: z.string().optional().meta({ description: 'Postgres: the Pod that runs the primary (moved by a switchover); absent means <name>-0' }),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(ConditionSchema).optional(),
});
export type DatabaseStatus = z.infer<typeof DatabaseStatusSchema>;
