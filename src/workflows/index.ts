// Every workflow the worker runs.
export { postgresUpdateVersion } from './postgres-update-version.ts';
export { postgresRestart } from './postgres-restart.ts';
export { postgresReconfigure } from './postgres-reconfigure.ts';
export { postgresRotateAuth } from './postgres-rotate-auth.ts';
export { proxysqlUpdateVersion } from './proxysql-update-version.ts';
export { proxysqlReconfigure } from './proxysql-reconfigure.ts';
export { singlestoreUpdateVersion } from './singlestore-update-version.ts';
export { singlestoreReconfigure } from './singlestore-reconfigure.ts';
export { postgresHorizontalScaling, proxysqlHorizontalScaling, singlestoreHorizontalScaling } from './horizontal-scaling.ts';
export { postgresVolumeExpansion } from './postgres-volume-expansion.ts';
export { proxysqlRestart, singlestoreRestart } from './restart.ts';
export { postgresVerticalScaling, proxysqlVerticalScaling, singlestoreVerticalScaling } from './vertical-scaling.ts';
