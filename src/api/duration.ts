// One duration grammar for everything that reads spec.timeout: Go-style sequences of a decimal
// number and a unit (1h30m, 90s, 1.5h, 500ms). The CRD pattern, the CRD's CEL bounds and the
// worker's parser below accept exactly the same set (a table-driven test holds them together).

/** The grammar, also the CRD pattern. */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Bounds of spec.timeout, enforced by the CRD (CEL) and again by the worker. */
export const TIMEOUT_MIN = '10s';
export const TIMEOUT_MAX = '24h';

/** Milliseconds of a duration in the grammar, or undefined when it is not one. Pure (safe in workflows). */
export function parseDurationMs(s: string): number | undefined {
  if (!DURATION_PATTERN.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (unitMs[m[2] ?? ''] ?? NaN);
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

const minMs = parseDurationMs(TIMEOUT_MIN) ?? 0;
const maxMs = parseDurationMs(TIMEOUT_MAX) ?? 0;

/** Why a spec.timeout value is refused, or undefined when it is accepted. */
export function timeoutProblem(s: string): string | undefined {
  const ms = parseDurationMs(s);
  if (ms === undefined) return `"${s}" is not a duration such as 90s, 5m, 1h30m or 1.5h`;
  if (ms < minMs || ms > maxMs) return `"${s}" is outside ${TIMEOUT_MIN} .. ${TIMEOUT_MAX}`;
  return undefined;
}

/** The step bound in ms: spec.timeout as written, else the fallback (the CRD and the workflow refuse invalid ones). */
export function stepTimeoutMs(timeout: string | undefined, fallbackMs = 10 * 60_000): number {
  const ms = timeout === undefined ? undefined : parseDurationMs(timeout);
  return ms !== undefined && ms > 0 ? ms : fallbackMs;
}
