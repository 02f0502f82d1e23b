// Every opsflow kind with what its CRD needs beyond the schema: names, scope, printer columns.
import type { z } from 'zod';
import { PostgresVersionSchema, ProxySQLVersionSchema, SingleStoreVersionSchema } from './catalog.ts';
import { PostgresSchema, ProxySQLSchema, SingleStoreSchema } from './databases.ts';
import { PostgresOpsRequestSchema, ProxySQLOpsRequestSchema, SingleStoreOpsRequestSchema } from './opsrequests.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  priority?: number;
}

export interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  scope: 'Namespaced' | 'Cluster';
  schema: z.ZodObject;
  hasStatus: boolean;
  columns: PrinterColumn[];
  /** Fields a list can select on (CRD selectableFields): an OpsRequest's database, so a queue check lists only its own. */
  selectableFields?: Array<{ jsonPath: string }>;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const dbColumns: PrinterColumn[] = [
  { name: 'Version', type: 'string', jsonPath: '.spec.version' },
  { name: 'Status', type: 'string', jsonPath: '.status.phase' },
  age,
];
const opsColumns: PrinterColumn[] = [
  { name: 'Type', type: 'string', jsonPath: '.spec.type' },
  { name: 'Status', type: 'string', jsonPath: '.status.phase' },
  age,
];
/** The field naming an OpsRequest's database, selectable so listing one database's requests is cheap. */
const byRef = (field: 'databaseRef' | 'proxyRef') => [{ jsonPath: `.spec.${field}.name` }];
const catalogColumns: PrinterColumn[] = [
  { name: 'Version', type: 'string', jsonPath: '.spec.version' },
  { name: 'DB_Image', type: 'string', jsonPath: '.spec.db.image' },
  { name: 'Deprecated', type: 'boolean', jsonPath: '.spec.deprecated' },
  age,
];

export const kinds: KindInfo[] = [
  { kind: 'Postgres', plural: 'postgreses', singular: 'postgres', shortNames: ['pg'], categories: ['datastore', 'opsflow'], scope: 'Namespaced', schema: PostgresSchema, hasStatus: true, columns: dbColumns },
  { kind: 'SingleStore', plural: 'singlestores', singular: 'singlestore', shortNames: ['sdb'], categories: ['datastore', 'opsflow'], scope: 'Namespaced', schema: SingleStoreSchema, hasStatus: true, columns: dbColumns },
  { kind: 'ProxySQL', plural: 'proxysqls', singular: 'proxysql', shortNames: ['prx'], categories: ['datastore', 'opsflow'], scope: 'Namespaced', schema: ProxySQLSchema, hasStatus: true, columns: dbColumns },
  { kind: 'PostgresVersion', plural: 'postgresversions', singular: 'postgresversion', shortNames: ['pgversion'], categories: ['catalog', 'opsflow'], scope: 'Cluster', schema: PostgresVersionSchema, hasStatus: false, columns: catalogColumns },
  { kind: 'SingleStoreVersion', plural: 'singlestoreversions', singular: 'singlestoreversion', shortNames: ['sdbversion'], categories: ['catalog', 'opsflow'], scope: 'Cluster', schema: SingleStoreVersionSchema, hasStatus: false, columns: catalogColumns },
  { kind: 'ProxySQLVersion', plural: 'proxysqlversions', singular: 'proxysqlversion', shortNames: ['prxversion'], categories: ['catalog', 'opsflow'], scope: 'Cluster', schema: ProxySQLVersionSchema, hasStatus: false, columns: catalogColumns },
  { kind: 'PostgresOpsRequest', plural: 'postgresopsrequests', singular: 'postgresopsrequest', shortNames: ['pgops'], categories: ['ops', 'opsflow'], scope: 'Namespaced', schema: PostgresOpsRequestSchema, hasStatus: true, columns: opsColumns, selectableFields: byRef('databaseRef') },
  { kind: 'SingleStoreOpsRequest', plural: 'singlestoreopsrequests', singular: 'singlestoreopsrequest', shortNames: ['sdbops'], categories: ['ops', 'opsflow'], scope: 'Namespaced', schema: SingleStoreOpsRequestSchema, hasStatus: true, columns: opsColumns, selectableFields: byRef('databaseRef') },
  { kind: 'ProxySQLOpsRequest', plural: 'proxysqlopsrequests', singular: 'proxysqlopsrequest', shortNames: ['prxops'], categories: ['ops', 'opsflow'], scope: 'Namespaced', schema: ProxySQLOpsRequestSchema, hasStatus: true, columns: opsColumns, selectableFields: byRef('proxyRef') },
];

export function kindInfo(kind: string): KindInfo {
  const k = kinds.find((x) => x.kind === kind);
  if (!k) throw new Error(`unknown opsflow kind ${kind}`);
  return k;
}
