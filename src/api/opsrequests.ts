// The OpsRequest kinds: PostgresOpsRequest (pgops), SingleStoreOpsRequest (sdbops), ProxySQLOpsRequest (prxops).
// Shaped like KubeDB's, so its example OpsRequests work with only apiVersion changed.
import { z } from 'zod';
import { ConditionSchema, LocalObjectReferenceSchema, ObjectMetaSchema, StepTimeoutSchema } from './common.ts';
import { QUANTITY_PATTERN } from './quantity.ts';
import { ContainerResourcesSchema } from './resources.ts';

/** Types handled today; ReconfigureTLS comes later. */
export const OpsRequestTypeSchema = z.enum(['UpdateVersion', 'Reconfigure', 'Restart',
  'HorizontalScaling',
  'VolumeExpansion',
  'VerticalScaling',
  'RotateAuth',
]);
export type OpsRequestType = z.infer<typeof OpsRequestTypeSchema>;

export const OpsRequestPhaseSchema = z.enum(['Pending', 'WaitingForApproval', 'Progressing', 'Successful', 'Failed', 'Skipped']);
export type OpsRequestPhase = z.infer<typeof OpsRequestPhaseSchema>;
export const terminalPhases: readonly OpsRequestPhase[] = ['Successful', 'Failed', 'Skipped'];

export const UpdateVersionSpecSchema = z.object({ targetVersion: z.string().min(1) });

/** restart: auto restarts Pods only when a changed parameter needs it; true always; false never. */
export const RestartPolicySchema = z.enum(['auto', 'true', 'false']);

export const ConfigurationSpecSchema = z.object({
  configSecret: LocalObjectReferenceSchema.optional(),
  applyConfig: z.record(z.string(), z.string()).optional().meta({ description: 'Config file name to content, merged parameter by parameter on top' }),
  removeCustomConfig: z.boolean().optional(),
  restart: RestartPolicySchema.default('auto'),
});
export type ConfigurationSpec = z.infer<typeof ConfigurationSpecSchema>;

/** A member count of a HorizontalScaling: 1 to 9 (the databases' own spec bounds). */
const ScaleCountSchema = (what: string) => z.number().int().min(1).max(9).meta({ description: `${what} (1 to 9)` });
// VolumeExpansion (KubeDB's spec.volumeExpansion): Online grows each volume under its running Pod;
// Offline stops each Pod while its volume grows (standbys first, the primary last).
export const VolumeExpansionModeSchema = z.enum(['Online', 'Offline']);
export const QuantitySchema = z.string().regex(QUANTITY_PATTERN, 'must be a quantity such as 2Gi');
export const PostgresVolumeExpansionSpecSchema = z.object({
  mode: VolumeExpansionModeSchema.meta({ description: 'Online: grow each volume under its running Pod; Offline: stop each Pod while its volume grows' }),
  postgres: QuantitySchema.meta({ description: 'The new size of each member\'s data volume (larger than now), e.g. 2Gi' }),
});

export const OpsRequestStatusSchema = z.object({
  phase: OpsRequestPhaseSchema.optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(ConditionSchema).optional(),
  message: z.string().optional(),
  workflow: z.object({ id: z.string(), runId: z.string().optional(), url: z.string().optional() }).optional(),
});
export type OpsRequestStatus = z.infer<typeof OpsRequestStatusSchema>;

const commonSpec = {
  type: OpsRequestTypeSchema,
  timeout: StepTimeoutSchema.optional().meta({ description: 'Bound on each step of the operation (10s to 24h), e.g. 90s, 5m, 1h30m' }),
  apply: z.enum(['IfReady', 'Always']).default('IfReady'),
  maxRetries: z.number().int().min(0).max(100).optional(),
  approval: z.enum(['Required', 'Automatic']).default('Automatic').meta({ description: 'Required: the run waits in WaitingForApproval until approved (opsflow approve, or the annotation opsflow.dev/approved-by)' }),
  updateVersion: UpdateVersionSpecSchema.optional(),
};

/** CEL rules: spec.<field> is required with spec.type <type>, and only allowed with it. */
const sub = (type: string, field: string) => [
  { rule: `self.type != '${type}' || has(self.${field})`, message: `spec.${field} is required when spec.type is ${type}`, fieldPath: `.${field}`, reason: 'FieldValueRequired' },
  { rule: `self.type == '${type}' || !has(self.${field})`, message: `spec.${field} is only allowed when spec.type is ${type}`, fieldPath: `.${field}`, reason: 'FieldValueForbidden' },
];
/** A CEL rule refusing a type this kind has not (with why). */
const notForKind = (type: string, why: string) => ({ rule: `self.type != '${type}'`, message: `spec.type: ${type} ${why}`, fieldPath: '.type', reason: 'FieldValueForbidden' });

/** CEL rules the API server enforces on every OpsRequest spec. */
function opsSpecRules(configField: string) {
  return [
    { rule: 'self == oldSelf', message: 'spec is immutable: create a new OpsRequest instead' },
    ...sub('UpdateVersion', 'updateVersion'),
    ...sub('Reconfigure', configField),
    ...sub('VerticalScaling', 'verticalScaling'),
    ...sub('HorizontalScaling', 'horizontalScaling'),
  ];
}

const opsKind = <K extends string, S extends z.ZodType>(kind: K, spec: S) => z.object({
  apiVersion: z.string(),
  kind: z.literal(kind),
  metadata: ObjectMetaSchema,
  spec,
  status: OpsRequestStatusSchema.optional(),
});

/** RotateAuth (KubeDB's field): the new password from a Secret; without it opsflow generates one. */
export const AuthenticationSpecSchema = z.object({
  secretRef: z.object({ name: z.string().min(1) }).optional().meta({ description: 'A Secret in this namespace whose key password holds the new password (username, if present, must be the current user)' }),
});

/** How a Postgres rolling restart (minor update, Restart, Reconfigure with restart) updates the primary. */
export const PrimaryUpdateMethodSchema = z.enum(['Switchover', 'Restart']);

export const PostgresOpsRequestSpecSchema = z.object({
  ...commonSpec,
  databaseRef: LocalObjectReferenceSchema,
  primaryUpdateMethod: PrimaryUpdateMethodSchema.default('Switchover').meta({
    description: 'Switchover (default): roll the standbys, switch the primary role to an updated in-sync standby, then restart the old primary as a standby. Restart: restart the primary in place, last (writes stop for its whole restart). A major UpdateVersion always upgrades the primary first.',
  }),
  preferredPrimary: z.string().min(1).optional().meta({
    description: 'The Pod to switch over to (default: the lowest-ordinal standby); naming the current primary keeps it primary (restarted in place)',
  }),
  configuration: ConfigurationSpecSchema.optional(),
  horizontalScaling: z.object({ replicas: ScaleCountSchema('The number of members wanted: the primary and its standbys') }).optional(),
  volumeExpansion: PostgresVolumeExpansionSpecSchema.optional(),
  verticalScaling: z.object({
    postgres: ContainerResourcesSchema.optional(),
    coordinator: ContainerResourcesSchema.optional().meta({ description: 'KubeDB\'s pg-coordinator sidecar: opsflow has none (refused)' }),
  }).optional(),
  authentication: AuthenticationSpecSchema.optional(),
}).meta({ 'x-kubernetes-validations': [...opsSpecRules('configuration'), ...sub('VolumeExpansion', 'volumeExpansion'), {
  rule: "self.type == 'RotateAuth' || !has(self.authentication)", message: 'spec.authentication is only allowed when spec.type is RotateAuth', fieldPath: '.authentication', reason: 'FieldValueForbidden',
}] });
export const PostgresOpsRequestSchema = opsKind('PostgresOpsRequest', PostgresOpsRequestSpecSchema);
export type PostgresOpsRequest = z.infer<typeof PostgresOpsRequestSchema>;

export const SingleStoreConfigurationSpecSchema = z.object({
  node: ConfigurationSpecSchema.optional(),
  aggregator: ConfigurationSpecSchema.optional(),
  leaf: ConfigurationSpecSchema.optional(),
}).meta({ 'x-kubernetes-validations': [{ rule: 'has(self.node) || has(self.aggregator) || has(self.leaf)', message: 'spec.configuration needs at least one of node, aggregator or leaf' }] });
export const SingleStoreOpsRequestSpecSchema = z.object({
  ...commonSpec,
  databaseRef: LocalObjectReferenceSchema,
  configuration: SingleStoreConfigurationSpecSchema.optional(),
  verticalScaling: z.object({
    aggregator: ContainerResourcesSchema.optional(),
    leaf: ContainerResourcesSchema.optional(),
    node: ContainerResourcesSchema.optional().meta({ description: 'KubeDB\'s standalone node: opsflow\'s SingleStore always has a topology (refused)' }),
    coordinator: ContainerResourcesSchema.optional().meta({ description: 'KubeDB\'s coordinator sidecar: opsflow has none (refused)' }),
  }).optional(),
  horizontalScaling: z.object({ aggregator: ScaleCountSchema('Aggregators wanted, the master included').optional(), leaf: ScaleCountSchema('Leaves wanted').optional() })
    .meta({ 'x-kubernetes-validations': [{ rule: 'has(self.aggregator) || has(self.leaf)', message: 'spec.horizontalScaling needs aggregator or leaf' }] }).optional(),
}).meta({ 'x-kubernetes-validations': [...opsSpecRules('configuration'), notForKind('VolumeExpansion', 'is not implemented for SingleStore by opsflow yet (Postgres only)'),
  notForKind('RotateAuth', 'is not supported for SingleStore: opsflow does not rotate the root credential (every aggregator and leaf logs in to the others with it; the simulated SingleStore here has no online password change to build it against)')] });
export const SingleStoreOpsRequestSchema = opsKind('SingleStoreOpsRequest', SingleStoreOpsRequestSpecSchema);
export type SingleStoreOpsRequest = z.infer<typeof SingleStoreOpsRequestSchema>;

const RequestTypeSchema = z.enum(['add', 'update', 'delete']);
/** A Secret (in the OpsRequest's namespace) holding a mysql user's password. */
export const PasswordSecretRefSchema = z.object({
  name: z.string().min(1),
  key: z.string().min(1).default('password').meta({ description: 'Key of the Secret that holds the password (default password)' }),
});
export const ProxySQLUserSchema = z.looseObject({
  username: z.string().min(1),
  password: z.string().optional().meta({ description: 'Refused: a cleartext password does not belong in an OpsRequest (use passwordSecretRef)' }),
  passwordSecretRef: PasswordSecretRefSchema.optional().meta({ description: 'The password, from a Secret; without it (and on add) the password is taken from the backend' }),
  default_hostgroup: z.number().int().optional(),
  active: z.number().int().min(0).max(1).optional(),
  max_connections: z.number().int().optional(),
}).meta({
  'x-kubernetes-validations': [{
    rule: '!has(self.password)',
    message: 'a cleartext password is not accepted in an OpsRequest (anyone who may read it, and the workflow history, would see it): put it in a Secret and reference it with passwordSecretRef: {name, key}, or leave it out to take the user\'s password from the backend',
    fieldPath: '.password', reason: 'FieldValueForbidden',
  }],
});
export const ProxySQLConfigurationSpecSchema = z.object({
  mysqlUsers: z.object({ users: z.array(ProxySQLUserSchema).min(1), reqType: RequestTypeSchema }).optional(),
  mysqlQueryRules: z.object({ rules: z.array(z.looseObject({ rule_id: z.number().int() })).min(1), reqType: RequestTypeSchema }).optional(),
  adminVariables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  mysqlVariables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export const ProxySQLOpsRequestSpecSchema = z.object({
  ...commonSpec,
  proxyRef: LocalObjectReferenceSchema,
  configuration: ProxySQLConfigurationSpecSchema.optional(),
  verticalScaling: z.object({ proxysql: ContainerResourcesSchema.optional() }).optional(),
  horizontalScaling: z.object({ member: ScaleCountSchema('ProxySQL Cluster members wanted') }).optional(),
}).meta({ 'x-kubernetes-validations': [...opsSpecRules('configuration'), notForKind('VolumeExpansion', 'is not offered for ProxySQL: KubeDB has no ProxySQL VolumeExpansion, and its volume holds only proxysql.db (its configuration store), which does not grow with traffic'),
  notForKind('RotateAuth', 'is not supported for ProxySQL: opsflow does not rotate the admin credentials (the Cluster peers log in with them too; the simulated ProxySQL here has no online admin-admin_credentials change); a mysql user\'s password changes with a Reconfigure (configuration.mysqlUsers, passwordSecretRef)')] });
export const ProxySQLOpsRequestSchema = opsKind('ProxySQLOpsRequest', ProxySQLOpsRequestSpecSchema);
export type ProxySQLOpsRequest = z.infer<typeof ProxySQLOpsRequestSchema>;

export type OpsRequest = PostgresOpsRequest | SingleStoreOpsRequest | ProxySQLOpsRequest;
