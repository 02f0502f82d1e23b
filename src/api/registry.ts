// The one registry of engines: each database kind with its catalog kind, its OpsRequest kind and the
// workflow of each operation type. Everything else derives from it: the workflow table, the
// watcher's kinds, the CLI's aliases, the catalog kinds, the database kind of an OpsRequest, and
// the RBAC check (test/unit/registry.test.ts). Pure data, safe inside the workflow sandbox.

export const engines = [
  {
    database: 'Postgres', aliases: ['postgres', 'pg', 'postgreses'],
    catalog: 'PostgresVersion',
    opsKind: 'PostgresOpsRequest', opsAliases: ['postgresopsrequest', 'postgresopsrequests', 'pgops'],
    refField: 'databaseRef',
    operations: {
      UpdateVersion: 'postgresUpdateVersion', Restart: 'postgresRestart', Reconfigure: 'postgresReconfigure',
      VolumeExpansion: 'postgresVolumeExpansion',
      HorizontalScaling: 'postgresHorizontalScaling',
      VerticalScaling: 'postgresVerticalScaling',
      RotateAuth: 'postgresRotateAuth',
    },
  },
  {
    database: 'SingleStore', aliases: ['singlestore', 'sdb', 'singlestores'],
    catalog: 'SingleStoreVersion',
    opsKind: 'SingleStoreOpsRequest', opsAliases: ['singlestoreopsrequest', 'singlestoreopsrequests', 'sdbops'],
    refField: 'databaseRef',
    operations: {
      UpdateVersion: 'singlestoreUpdateVersion', Reconfigure: 'singlestoreReconfigure',
      Restart: 'singlestoreRestart', VerticalScaling: 'singlestoreVerticalScaling',
      HorizontalScaling: 'singlestoreHorizontalScaling',
    },
  },
  {
    database: 'ProxySQL', aliases: ['proxysql', 'prx', 'proxysqls'],
    catalog: 'ProxySQLVersion',
    opsKind: 'ProxySQLOpsRequest', opsAliases: ['proxysqlopsrequest', 'proxysqlopsrequests', 'prxops'],
    refField: 'proxyRef',
    operations: {
      UpdateVersion: 'proxysqlUpdateVersion', Reconfigure: 'proxysqlReconfigure',
      Restart: 'proxysqlRestart', VerticalScaling: 'proxysqlVerticalScaling',
      HorizontalScaling: 'proxysqlHorizontalScaling',
    },
  },
] as const;

export type Engine = (typeof engines)[number];
export type DatabaseKind = Engine['database'];
export type OpsKind = Engine['opsKind'];
export type CatalogKind = Engine['catalog'];

export const databaseKinds: DatabaseKind[] = engines.map((e) => e.database);
export const opsKinds: OpsKind[] = engines.map((e) => e.opsKind);
export const catalogKinds: CatalogKind[] = engines.map((e) => e.catalog);

export function engineOfOps(kind: string): Engine | undefined {
  return engines.find((e) => e.opsKind === kind);
}

export function engineOfDatabase(kind: string): Engine | undefined {
  return engines.find((e) => e.database === kind);
}

/** The workflow type that runs an OpsRequest of this kind and type, or undefined when none exists yet. */
export function workflowTypeFor(kind: string, type: string): string | undefined {
  const ops = engineOfOps(kind)?.operations as Record<string, string> | undefined;
  return ops?.[type];
}

/** Every workflow type the worker must export. */
export const workflowTypes: string[] = engines.flatMap((e) => Object.values(e.operations));
