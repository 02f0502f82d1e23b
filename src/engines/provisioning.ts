// What the provisioner needs to know per database kind: how to parse it, where its catalog is,
// how to render its objects, which StatefulSets it has, and the role of each Pod.
import type { z } from 'zod';
import { PostgresVersionSchema, ProxySQLVersionSchema, SingleStoreVersionSchema } from '../api/catalog.ts';
import { PostgresSchema, ProxySQLSchema, SingleStoreSchema, type Database, type Postgres, type ProxySQL, type SingleStore } from '../api/databases.ts';
import type { Rendered } from './common.ts';
import { desiredParams, primaryPodName, renderPostgres } from './postgres/render.ts';
import { customConfigRef, renderSingleStore, statefulSetName } from './singlestore/render.ts';
import { renderProxySQL } from './proxysql/render.ts';

export interface RenderInput {
  /** The data of the user's spec.configSecret, when it names one. */
  userConfig: Record<string, string> | undefined;
  /** Container scripts shipped with the database (Postgres' bootstrap). */
  scripts: Record<string, string>;
  /** The data of every Secret configSecretRefs names, by Secret name. */
  secrets?: Record<string, Record<string, string>>;
}

export interface Provisioning {
  kind: Database['kind'];
  versionKind: string;
  schema: z.ZodType<Database>;
  versionSchema: typeof PostgresVersionSchema;
  username: string;
  render(db: Database, version: z.infer<typeof PostgresVersionSchema>, input: RenderInput): Rendered;
  statefulSets(db: Database): string[];
  /** Further config Secrets the rendering reads (with the field naming each), beside spec.configSecret. */
  configSecretRefs?(db: Database): Array<{ field: string; name: string }>;
  /** Role label per Pod name, for the Pods that exist. */
  podRole(db: Database, podName: string): string;
}


export const provisionings: Provisioning[] = [
  {
    kind: 'Postgres', versionKind: 'PostgresVersion', schema: PostgresSchema as z.ZodType<Database>, versionSchema: PostgresVersionSchema,
    username: 'postgres',
    render: (db, v, input) => renderPostgres(db as Postgres, v, desiredParams(input.userConfig, (db as Postgres).spec.configSecret?.name), input.scripts),
    statefulSets: (db) => [db.metadata.name ?? ''],
    // The primary is data (status.primary, moved by a switchover), <name>-0 until one happened.
    podRole: (db, pod) => (pod === primaryPodName(db as Postgres) ? 'primary' : 'standby'),
  },
  {
    kind: 'SingleStore', versionKind: 'SingleStoreVersion', schema: SingleStoreSchema as z.ZodType<Database>, versionSchema: SingleStoreVersionSchema as unknown as typeof PostgresVersionSchema,
    username: 'root',
    render: (db, v, input) => renderSingleStore(db as SingleStore, { ...v, kind: 'SingleStoreVersion' }, input.secrets ?? {}),
    statefulSets: (db) => [statefulSetName(db as SingleStore, 'aggregator'), statefulSetName(db as SingleStore, 'leaf')],
    configSecretRefs: (db) => (['aggregator', 'leaf'] as const).flatMap((r) => customConfigRef(db as SingleStore, r) ?? []),
    podRole: (db, pod) => (pod === `${statefulSetName(db as SingleStore, 'aggregator')}-0` ? 'master-aggregator' : pod.includes('-aggregator-') ? 'aggregator' : 'leaf'),
  },
  {
    kind: 'ProxySQL', versionKind: 'ProxySQLVersion', schema: ProxySQLSchema as z.ZodType<Database>, versionSchema: ProxySQLVersionSchema as unknown as typeof PostgresVersionSchema,
    username: 'admin',
    render: (db, v, input) => renderProxySQL(db as ProxySQL, { ...v, kind: 'ProxySQLVersion' }, input.userConfig ?? {}),
    statefulSets: (db) => [db.metadata.name ?? ''],
    podRole: () => 'member',
  },
];

export function provisioningFor(kind: string): Provisioning {
  const p = provisionings.find((x) => x.kind === kind);
  if (!p) throw new Error(`no provisioner for kind ${kind}`);
  return p;
}
