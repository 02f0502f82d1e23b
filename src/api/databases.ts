// The database kinds: Postgres, SingleStore and ProxySQL (field names follow KubeDB's).
import { z } from 'zod';
import {
  DatabaseStatusSchema, DeletionPolicySchema, LocalObjectReferenceSchema, ObjectMetaSchema, StorageSpecSchema, StorageTypeSchema,
} from './common.ts';
import { rolesRules, rolesSpecFields } from './postgres-roles.ts';
import { PodTemplateSchema } from './resources.ts';

const VersionRefSchema = z.string().min(1).meta({ description: 'Name of a catalog entry (a *Version object)' });

/** How edits of spec.version or the config on the database itself are handled. */
export const UpdatePolicySchema = z.enum(['OpsRequest', 'Disabled']);

const databaseSpecBase = {
  version: VersionRefSchema,
  authSecret: LocalObjectReferenceSchema.optional(),
  configSecret: LocalObjectReferenceSchema.optional(),
  storageType: StorageTypeSchema.default('Durable'),
  storage: StorageSpecSchema.optional(),
  deletionPolicy: DeletionPolicySchema.default('Delete'),
  updatePolicy: UpdatePolicySchema.default('OpsRequest'),
};

/**
 * KubeDB v1's `spec.configuration` of a Postgres: `secretName` is the same as `spec.configSecret`;
 * `inline` (`user.conf` lines) is merged on top of it: the provisioner turns it into a content-named
 * custom-config Secret and points `secretName` at it (src/engines/postgres/inline-config.ts).
 */
export const PostgresConfigurationSchema = z.object({
  secretName: z.string().min(1).optional().meta({ description: 'Secret with user.conf (KubeDB v1 spelling of spec.configSecret)' }),
  inline: z.record(z.string(), z.string()).optional().meta({ description: 'user.conf content, merged on top of secretName' }),
  tuning: z.looseObject({}).optional().meta({ description: 'KubeDB auto-tuning: not implemented by opsflow (refused)' }),
}).meta({
  'x-kubernetes-validations': [
    { rule: '!has(self.tuning)', message: 'spec.configuration.tuning (KubeDB auto-tuning) is not implemented by opsflow: remove it and set the parameters in user.conf', fieldPath: '.tuning', reason: 'FieldValueForbidden' },
    { rule: "!has(self.inline) || self.inline.all(k, k == 'user.conf')", message: 'spec.configuration.inline: only the key user.conf is supported (postgresql.conf lines)', fieldPath: '.inline', reason: 'FieldValueInvalid' },
  ],
});

/**
 * Fields of KubeDB's v1 PostgresSpec that opsflow does not implement. They are declared so that the
 * API server refuses them with a message saying so (a CEL rule each), instead of pruning them or
 * failing with a bare "unknown field", and never silently ignores them.
 */
export const KUBEDB_POSTGRES_UNSUPPORTED: Record<string, z.ZodType> = {
  autoOps: z.looseObject({}), distributed: z.boolean(), streamingMode: z.string(), synchronousReplicationConfig: z.looseObject({}),
  mode: z.string(), remoteReplica: z.looseObject({}), leaderElection: z.looseObject({}), clientAuthMode: z.string(), sslMode: z.string(),
  init: z.looseObject({}), monitor: z.looseObject({}), serviceTemplates: z.array(z.looseObject({})),
  tls: z.looseObject({}), halted: z.boolean(), enforceFsGroup: z.boolean(), allowedSchemas: z.looseObject({}), healthChecker: z.looseObject({}),
  archiver: z.looseObject({}), arbiter: z.looseObject({}), replication: z.looseObject({}), readReplicas: z.array(z.looseObject({})),
};

const unsupportedRules = (fields: Record<string, z.ZodType>) => Object.keys(fields).map((f) => ({
  rule: `!has(self.${f})`, message: `spec.${f}: KubeDB's field is not implemented by opsflow; remove it`, fieldPath: `.${f}`, reason: 'FieldValueForbidden',
}));

const PostgresSpecObject = z.object({
  ...databaseSpecBase,
  replicas: z.number().int().min(1).max(9).default(1),
  standbyMode: z.enum(['Hot', 'Warm']).default('Hot'),
  configuration: PostgresConfigurationSchema.optional(),
  ...rolesSpecFields,
  podTemplate: PodTemplateSchema.optional(),
  ...Object.fromEntries(Object.entries(KUBEDB_POSTGRES_UNSUPPORTED).map(([k, v]) => [k, v.optional().meta({ description: 'not implemented by opsflow (refused)' })])),
}).meta({
  'x-kubernetes-validations': [
    { rule: '!has(self.configSecret) || !has(self.configuration)', message: 'spec.configSecret and spec.configuration are two spellings of the custom config: use one (spec.configuration.secretName is KubeDB v1\'s)', reason: 'FieldValueForbidden' },
    ...unsupportedRules(KUBEDB_POSTGRES_UNSUPPORTED),
    ...rolesRules,
  ],
});

/**
 * Every reader sees the custom config Secret as `spec.configSecret`, whichever spelling the manifest
 * uses; writers keep the manifest's spelling (configRefPatch in src/engines/postgres/inline-config.ts).
 */
export const PostgresSpecSchema = PostgresSpecObject.transform((s) => (
  !s.configSecret && s.configuration?.secretName ? { ...s, configSecret: { name: s.configuration.secretName } } : s
));
export const PostgresSchema = z.object({
  apiVersion: z.string(),
  kind: z.literal('Postgres'),
  metadata: ObjectMetaSchema,
  spec: PostgresSpecSchema,
  status: DatabaseStatusSchema.optional(),
});
export type Postgres = z.infer<typeof PostgresSchema>;

const SingleStoreNodeSpecSchema = z.object({
  replicas: z.number().int().min(1).max(9).default(1),
  storage: StorageSpecSchema.optional(),
  configSecret: LocalObjectReferenceSchema.optional(),
  podTemplate: PodTemplateSchema.optional(),
});
export const SingleStoreSpecSchema = z.object({
  ...databaseSpecBase,
  topology: z.object({ aggregator: SingleStoreNodeSpecSchema, leaf: SingleStoreNodeSpecSchema }),
});
export const SingleStoreSchema = z.object({
  apiVersion: z.string(),
  kind: z.literal('SingleStore'),
  metadata: ObjectMetaSchema,
  spec: SingleStoreSpecSchema,
  status: DatabaseStatusSchema.optional(),
});
export type SingleStore = z.infer<typeof SingleStoreSchema>;

export const ProxySQLSpecSchema = z.object({
  ...databaseSpecBase,
  replicas: z.number().int().min(1).max(9).default(1),
  backend: LocalObjectReferenceSchema.optional().meta({ description: 'The MySQL server group ProxySQL routes to' }),
  podTemplate: PodTemplateSchema.optional(),
});
export const ProxySQLSchema = z.object({
  apiVersion: z.string(),
  kind: z.literal('ProxySQL'),
  metadata: ObjectMetaSchema,
  spec: ProxySQLSpecSchema,
  status: DatabaseStatusSchema.optional(),
});
export type ProxySQL = z.infer<typeof ProxySQLSchema>;

export type Database = Postgres | SingleStore | ProxySQL;
