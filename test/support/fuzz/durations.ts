// Go's time.ParseDuration, the oracle for spec.timeout (issue 11: `1h30m`, `90s`, `1.5h`, `500ms`
// are durations; the CRD bounds them to 10 s .. 24 h). Pure; returns milliseconds or undefined.
const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (!rest) return undefined;
  let total = 0;
  while (rest) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m?.[1] || !m[2]) return undefined;
    total += Number(m[1]) * (units[m[2]] ?? NaN);
    rest = rest.slice(m[0].length);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

export const MIN_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** How a spec.timeout should be judged: a duration within the bounds, one outside them, or not a duration. */
export function classifyTimeout(s: string): 'valid' | 'outOfRange' | 'bogus' {
  const ms = parseGoDuration(s);
  if (ms === undefined) return 'bogus';
  return ms >= MIN_TIMEOUT_MS && ms <= MAX_TIMEOUT_MS ? 'valid' : 'outOfRange';
}
