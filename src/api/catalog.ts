// The version catalog (cluster-scoped): PostgresVersion, SingleStoreVersion, ProxySQLVersion.
import { z } from 'zod';
import { ObjectMetaSchema } from './common.ts';

export const UpdateConstraintsSchema = z.object({
  allowlist: z.array(z.string().min(1)).optional().meta({ description: 'Semver ranges of versions this one may be updated to' }),
  denylist: z.array(z.string().min(1)).optional().meta({ description: 'Semver ranges of versions this one may not be updated to' }),
});
export type UpdateConstraints = z.infer<typeof UpdateConstraintsSchema>;

export const VersionSpecSchema = z.object({
  version: z.string().regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?(-[0-9A-Za-z][0-9A-Za-z.]*)?$/, 'must be a version such as 16.4 or 2.4.4-debian'),
  db: z.object({ image: z.string().min(1) }),
  deprecated: z.boolean().default(false),
  distribution: z.string().optional(),
  updateConstraints: UpdateConstraintsSchema.optional(),
});
export type VersionSpec = z.infer<typeof VersionSpecSchema>;

const versionKind = <K extends string>(kind: K) => z.object({
  apiVersion: z.string(),
  kind: z.literal(kind),
  metadata: ObjectMetaSchema,
  spec: VersionSpecSchema,
});

export const PostgresVersionSchema = versionKind('PostgresVersion');
export const SingleStoreVersionSchema = versionKind('SingleStoreVersion');
export const ProxySQLVersionSchema = versionKind('ProxySQLVersion');
export type PostgresVersion = z.infer<typeof PostgresVersionSchema>;
export type SingleStoreVersion = z.infer<typeof SingleStoreVersionSchema>;
export type ProxySQLVersion = z.infer<typeof ProxySQLVersionSchema>;
export type CatalogVersion = PostgresVersion | SingleStoreVersion | ProxySQLVersion;
