// The database kinds: Postgres, SingleStore and ProxySQL (field names follow KubeDB's).
import { z } from 'zod';
import {
  DatabaseStatusSchema, DeletionPolicySchema, LocalObjectReferenceSchema, ObjectMetaSchema, StorageSpecSchema, StorageTypeSchema,
} from './common.ts';

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

export const PostgresSpecSchema = z.object({
  ...databaseSpecBase,
  replicas: z.number().int().min(1).max(9).default(1),
  standbyMode: z.enum(['Hot', 'Warm']).default('Hot'),
});
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
