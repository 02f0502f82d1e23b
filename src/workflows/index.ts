// Every workflow the worker runs.
export { postgresUpdateVersion } from './postgres-update-version.ts';
