// What the local pod runtime needs to know about processes, read from Linux's /proc: whether a pid
// is still the process we started (pid + start time, zombies count as gone), a container's
// processes (its process group: the script and what it runs; and the main process's descendants:
// Postgres's children each call setsid()), their memory.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z (zombie), T, ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks since boot: with the pid, identifies one process across pid reuse. */
  startTime: number;
}

/** /proc/<pid>/stat, or undefined when there is no such process. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  //  cutime cstime priority nice num_threads itrealvalue starttime ..."; comm may hold spaces and ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    startTime: Number(rest[19]),
  };
}

/** The process that was started as (pid, startTime) still runs (not a zombie). */
export function sameProcessAlive(pid: number, startTime: number): boolean {
  const s = procStat(pid);
  return s !== undefined && s.startTime === startTime && s.state !== 'Z' && s.state !== 'X';
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** Every process, by pid (one pass over /proc). */
export function processTable(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const pid of allPids()) {
    const s = procStat(pid);
    if (s) out.set(pid, s);
  }
  return out;
}

/**
 * The live descendants of a process. (A container's processes are its tree, not its process group:
 * Postgres's children each call setsid() and lead their own session and group.)
 */
export function descendants(pid: number, table: Map<number, ProcStat> = processTable()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of table.values()) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
  const out: ProcStat[] = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop() ?? 0) ?? []) {
      if (c.state === 'Z' || c.state === 'X') continue;
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of allPids()) {
    const s = procStat(pid);
    if (s && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X') out.push(s);
  }
  return out;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // no such group any more
  }
}

export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Memory of a process and its descendants: RSS summed over them (counts shared memory, e.g.
 * Postgres's shared_buffers, once per process that touched it) and PSS (shared pages split among
 * their users, so the sum is what the tree really costs).
 */
export function treeMemory(pid: number): { processes: number; rssKb: number; pssKb: number } {
  const root = procStat(pid);
  const members = root ? [root, ...descendants(pid)] : [];
  return {
    processes: members.length,
    rssKb: members.reduce((a, m) => a + statusKb(m.pid, 'VmRSS'), 0),
    pssKb: members.reduce((a, m) => a + pssKb(m.pid), 0),
  };
}
