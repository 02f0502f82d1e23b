// Postgres sync verdicts (pure): from what pg_stat_replication and pg_database_size say, is every
// standby streaming, close enough in replay, and about the same size as the primary?
export interface ReplicationRow {
  application_name: string;
  state: string;
  lag_bytes: number | null;
}

export interface SyncFacts {
  standbys: string[];
  replication: ReplicationRow[];
  /** Total size of all databases per member, bytes. */
  sizes: Record<string, number>;
  primary: string;
}

export function syncProblems(f: SyncFacts, maxLagBytes: number, sizeTolerance: number): string[] {
  const problems: string[] = [];
  for (const s of f.standbys) {
    const row = f.replication.find((r) => r.application_name === s);
    if (!row) {
      problems.push(`standby ${s} is not connected to the primary ${f.primary}`);
      continue;
    }
    if (row.state !== 'streaming') problems.push(`standby ${s} is ${row.state}, not streaming`);
    if (row.lag_bytes === null || row.lag_bytes > maxLagBytes) {
      problems.push(`standby ${s} replay lag is ${row.lag_bytes ?? 'unknown'} bytes (threshold ${maxLagBytes})`);
    }
  }
  const base = f.sizes[f.primary];
  if (base === undefined) problems.push(`primary ${f.primary} did not report its size`);
  else {
    for (const s of f.standbys) {
      const size = f.sizes[s];
      if (size === undefined) problems.push(`standby ${s} did not report its size`);
      else if (Math.abs(size - base) > Math.max(base * sizeTolerance, 16 * 1024 * 1024)) {
        problems.push(`standby ${s} holds ${size} bytes of databases, primary ${base} (tolerance ${Math.round(sizeTolerance * 100)}%)`);
      }
    }
  }
  return problems;
}
