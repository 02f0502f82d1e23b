// Reading watcher processes' JSON logs: when each became (or stopped being) leader, and every
// Kubernetes write it sent (logged by the write fence at debug level), for the HA tests' counts.
import { existsSync, readFileSync } from 'node:fs';

export type LogLine = { time: string; msg: string; identity?: string; method?: string; path?: string; [k: string]: unknown };

export function logLines(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

export const ms = (l: LogLine) => Date.parse(l.time);

export function becameLeaderAt(file: string): number | undefined {
  const l = logLines(file).find((x) => x.msg === 'became leader');
  return l ? ms(l) : undefined;
}

export function writes(file: string): LogLine[] {
  return logLines(file).filter((x) => x.msg === 'k8s write');
}

/**
 * For watchers whose leaderships followed each other (in this order): the writes of each, and the
 * writes that landed while another watcher was leader (must be none).
 */
export function writesByIdentity(files: Array<{ name: string; file: string; until?: number }>): { counts: Record<string, number>; overlapping: string[] } {
  const counts: Record<string, number> = {};
  const overlapping: string[] = [];
  const spans = files.map((f) => ({ ...f, from: becameLeaderAt(f.file) ?? Infinity, w: writes(f.file) }));
  for (const s of spans) {
    counts[s.name] = s.w.length;
    for (const w of s.w) {
      const t = ms(w);
      // A write before this watcher led, or after it was stopped/killed, is a write by a non-leader.
      if (t < s.from || (s.until !== undefined && t > s.until)) overlapping.push(`${s.name} ${w.method} ${w.path} at ${w.time}`);
      for (const o of spans) {
        if (o !== s && o.from <= t && o.from > s.from) overlapping.push(`${s.name} ${w.method} ${w.path} at ${w.time}, after ${o.name} took over`);
      }
    }
  }
  return { counts, overlapping };
}
