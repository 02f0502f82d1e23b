// Where things live inside a Postgres container (pure, no imports: the workflows use it too). The
// StatefulSet rendering (render.ts) and the major-upgrade init container are built from these.
export const PG_PORT = 5432;
export const DATA_DIR = '/var/pv';
export const CONFIG_DIR = '/etc/opsflow/config';
export const SCRIPTS_DIR = '/opt/opsflow/scripts';
export const RUN_DIR = '/var/run/postgresql';
export const CONFIG_FILE = 'opsflow.conf';
export const COPY_OLD_BINARIES_SCRIPT = `${SCRIPTS_DIR}/copy-old-binaries.sh`;

/** The init container of a major upgrade: the OLD image copies its bin, lib and share onto the data volume. */
export function copyOldBinariesInitContainer(oldImage: string) {
  return {
    name: 'copy-old-binaries', image: oldImage, command: ['bash', COPY_OLD_BINARIES_SCRIPT],
    env: [{ name: 'DATA_DIR', value: DATA_DIR }],
    volumeMounts: [{ name: 'data', mountPath: DATA_DIR }, { name: 'scripts', mountPath: SCRIPTS_DIR, readOnly: true }],
  };
}
