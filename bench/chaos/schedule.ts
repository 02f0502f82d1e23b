// Chaos schedules, pure: from a seed, K schedules, each one Postgres operation (UpdateVersion minor or
// major, Reconfigure, Restart) with one to three faults (SIGKILL of the worker, the watcher or the
// Temporal dev server; a kube-apiserver restart) at random moments after the OpsRequest is created.
// The same seed always gives the same schedules, so a failing one can be run again.

export const operations = ['UpdateVersionMinor', 'UpdateVersionMajor', 'Reconfigure', 'Restart'] as const;
export type Operation = (typeof operations)[number];
export const faultKinds = ['kill-worker', 'kill-watcher', 'kill-temporal', 'restart-apiserver'] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface Fault {
  kind: FaultKind;
  /** When it strikes, in ms after the OpsRequest was created. */
  atMs: number;
  /** How long the process stays down before it is started again. */
  downMs: number;
}

export interface Schedule {
  index: number;
  operation: Operation;
  replicas: number;
  fromVersion: string;
  /** UpdateVersion only. */
  toVersion?: string;
  /** Reconfigure only: one `user.conf` line, and whether the parameter needs a restart. */
  applyConfig?: { param: string; value: string; restart: boolean };
  faults: Fault[];
}

/** mulberry32: a small, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Catalog versions whose binaries infra/versions.env pins (so the local data plane can run them).
const minorUpdates: Array<[string, string]> = [['16.13', '16.15'], ['16.14', '16.15'], ['15.18', '15.19'], ['17.10', '17.11']];
const majorUpdates: Array<[string, string]> = [['15.19', '16.15'], ['16.15', '17.11'], ['14.23', '15.19']];
const configChanges = [
  { param: 'shared_buffers', value: '192MB', restart: true },
  { param: 'max_connections', value: '150', restart: true },
  { param: 'work_mem', value: '8MB', restart: false },
  { param: 'checkpoint_timeout', value: '10min', restart: false },
];

/** Roughly how long each operation runs on this machine unharmed (3 members): faults land inside it. */
export const expectedMs: Record<Operation, number> = { UpdateVersionMinor: 25_000, UpdateVersionMajor: 45_000, Reconfigure: 20_000, Restart: 20_000 };
const downRange: Record<FaultKind, [number, number]> = {
  'kill-worker': [0, 5_000], 'kill-watcher': [0, 5_000], 'kill-temporal': [500, 5_000], 'restart-apiserver': [1_000, 15_000],
};

export interface ScheduleOptions {
  /** Operations to draw from (default: all four). */
  operations?: readonly Operation[];
  /** Faults to draw from (default: all four). */
  faults?: readonly FaultKind[];
  /** Members per database (default: 2 or 3, drawn). */
  replicas?: number;
}

export function makeSchedules(seed: number, k: number, opts: ScheduleOptions = {}): Schedule[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => {
    const x = xs[Math.floor(rnd() * xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  };
  const between = (lo: number, hi: number) => Math.round(lo + rnd() * (hi - lo));
  const ops = opts.operations ?? operations;
  const kinds = opts.faults ?? faultKinds;
  const out: Schedule[] = [];
  for (let index = 0; index < k; index++) {
    const operation = pick(ops);
    const replicas = opts.replicas ?? pick([2, 3]);
    let fromVersion = '16.13';
    let toVersion: string | undefined;
    let applyConfig: Schedule['applyConfig'];
    if (operation === 'UpdateVersionMinor' || operation === 'UpdateVersionMajor') {
      [fromVersion, toVersion] = pick(operation === 'UpdateVersionMinor' ? minorUpdates : majorUpdates);
    } else {
      fromVersion = pick(['16.13', '16.15', '17.11']);
      if (operation === 'Reconfigure') applyConfig = pick(configChanges);
    }
    const n = between(1, 3);
    let at = 0;
    const faults: Fault[] = [];
    for (let i = 0; i < n; i++) {
      const kind = pick(kinds);
      const [lo, hi] = downRange[kind];
      // Spread over the expected run time; each fault after the previous one (they do not overlap).
      at += between(0, Math.round(expectedMs[operation] / n));
      faults.push({ kind, atMs: at, downMs: between(lo, hi) });
    }
    out.push({ index, operation, replicas, fromVersion, toVersion, applyConfig, faults });
  }
  return out;
}

/** Pure: one line per schedule, for the log (and to re-run it by seed). */
export function describeSchedule(s: Schedule): string {
  const what = s.operation.startsWith('UpdateVersion') ? `${s.operation} ${s.fromVersion} → ${s.toVersion}`
    : s.operation === 'Reconfigure' ? `Reconfigure ${s.fromVersion} ${s.applyConfig?.param} = ${s.applyConfig?.value}${s.applyConfig?.restart ? ' (restart)' : ' (reload)'}`
      : `Restart ${s.fromVersion}`;
  const faults = s.faults.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(1)}s/down ${(f.downMs / 1000).toFixed(1)}s`).join(', ');
  return `#${s.index} ${what}, ${s.replicas} members; ${faults}`;
}
