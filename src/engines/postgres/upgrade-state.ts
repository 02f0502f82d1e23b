// What a failed major upgrade did to the primary's volume, and what to do about it (pure).
// bootstrap.sh records the state of `pg_upgrade --link` in $DATA_DIR/upgrade/link-state and, as a
// line `opsflow-upgrade: <state> <old major> <new major>`, in the container's termination message
// (written before --link starts, when it fails, and before postgres is exec'd after it succeeded),
// so the workflow learns it from the Pod's status without reading the volume:
//   not-linked   pg_upgrade failed before linking (or never ran it): the old cluster is intact
//   linking      --link was running when the container ended (killed mid-upgrade)
//   interrupted  --link failed after linking had started (global/pg_control.old exists)
//   upgraded     --link finished; the new cluster is the data directory
// In link mode the old cluster is unusable once the new one has started (pg_upgrade's docs), and
// pg_upgrade itself starts the new one after linking: so only `not-linked` (or evidence that the
// new image's bootstrap never ran on the volume) allows starting the old version again.

export const UPGRADE_STATES = ['not-linked', 'linking', 'interrupted', 'upgraded'] as const;
export type UpgradeState = (typeof UPGRADE_STATES)[number];

export interface UpgradeMarker {
  state: UpgradeState;
  from: number;
  to: number;
}

const MARKER = /^opsflow-upgrade: (not-linked|linking|interrupted|upgraded) (\d+) (\d+)\s*$/m;

/** The marker line in a termination message, if any. */
export function parseUpgradeMarker(message: string | undefined): UpgradeMarker | undefined {
  const m = message ? MARKER.exec(message) : null;
  if (!m) return undefined;
  return { state: m[1] as UpgradeState, from: Number(m[2]), to: Number(m[3]) };
}

/** What the evidence activity observed of the primary Pod (no secrets, no volume access). */
export interface UpgradeEvidence {
  pod: string;
  /** The image of the Pod's postgres container; undefined: no Pod. */
  image?: string;
  ready: boolean;
  /** The postgres container ran at least once (running now, or terminated before). */
  started: boolean;
  /** The marker of the latest termination message of the postgres container (current, then last state). */
  marker?: UpgradeMarker;
  /** The major the server reports (SHOW server_version_num), when it answered. */
  serverMajor?: number;
  /** Why the server was not asked, or did not answer. */
  serverProblem?: string;
}

export interface RollbackVerdict {
  action: 'Rollback' | 'KeepUpgrade' | 'Refuse';
  reason: string;
}

/**
 * The rollback decision of a failed major upgrade from `from` to `to` on the primary, given what
 * its Pod shows. Rollback only when the old cluster is known to be intact; KeepUpgrade when
 * pg_upgrade finished (the primary stays on the new major); Refuse (nothing is started, the reason
 * is reported) when linking started and did not finish, or when the state is unknown.
 */
export function decideRollback(e: UpgradeEvidence, from: number, to: number, oldImage: string, newImage: string): RollbackVerdict {
  const { pod } = e;
  if (e.image === undefined) return { action: 'Refuse', reason: `${pod} does not exist: the state of its volume is unknown; not rolled back` };
  if (e.image === oldImage) return { action: 'Rollback', reason: `${pod} still runs ${oldImage}: pg_upgrade never ran on its volume` };
  if (e.image !== newImage) return { action: 'Refuse', reason: `${pod} runs ${e.image}, neither ${oldImage} nor ${newImage}; not rolled back` };
  if (e.serverMajor === to) return { action: 'KeepUpgrade', reason: `${pod} answers as PostgreSQL ${to}: pg_upgrade finished; it stays on ${newImage}` };
  // A marker of another upgrade (an earlier one, or stale) says nothing about this one.
  const marker = e.marker && e.marker.from === from && e.marker.to === to ? e.marker : undefined;
  switch (marker?.state) {
    case 'upgraded':
      return { action: 'KeepUpgrade', reason: `${pod}: pg_upgrade --link from ${from} to ${to} finished (its volume's marker); it stays on ${newImage}` };
    case 'not-linked':
      return { action: 'Rollback', reason: `${pod}: pg_upgrade stopped before linking (its volume's marker): the PostgreSQL ${from} data directory is intact` };
    case 'interrupted':
    case 'linking':
      return {
        action: 'Refuse',
        reason: `${pod}: pg_upgrade --link from ${from} to ${to} started linking and did not finish (marker "${marker.state}"): ` +
          `the PostgreSQL ${from} data directory is not started again (in link mode it is unusable once the new cluster has started); ` +
          `not rolled back: see upgrade/link-state and upgrade/work-${from}-to-${to} on its volume, and restore from a backup if in doubt`,
      };
    case undefined:
      break;
  }
  // No marker: the new image's bootstrap never ran (an init container failed, the Pod never
  // started) leaves the volume as it was; once it ran, without a marker nothing is known.
  if (!e.started) return { action: 'Rollback', reason: `${pod}: the ${newImage} container never started: its volume is as it was` };
  return {
    action: 'Refuse',
    reason: `${pod}: the state of pg_upgrade on its volume is unknown (the ${newImage} container ran, left no marker${e.serverProblem ? `, and ${e.serverProblem}` : ''}; ` +
      'it may still be upgrading); not rolled back',
  };
}
