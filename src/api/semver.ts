// Version ordering and updateConstraints ranges (pure). Ranges use the Masterminds syntax KubeDB
// uses: comparators joined by commas (or spaces) are ANDed, `||` separates alternatives.
export type Version = [number, number, number];

export function parseVersion(v: string): Version {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v.trim());
  if (!m) throw new Error(`"${v}" is not a version (expected MAJOR.MINOR or MAJOR.MINOR.PATCH)`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const majorOf = (v: string): number => parseVersion(v)[0];

const comparator = /^(>=|<=|>|<|=|==|!=)?\s*(v?\d+(?:\.\d+){0,2})$/;

function satisfiesComparator(version: string, c: string): boolean {
  const m = comparator.exec(c.trim());
  if (!m?.[2]) throw new Error(`"${c}" is not a version comparator`);
  const d = compareVersions(version, m[2]);
  switch (m[1] ?? '=') {
    case '>': return d > 0;
    case '>=': return d >= 0;
    case '<': return d < 0;
    case '<=': return d <= 0;
    case '!=': return d !== 0;
    default: return d === 0;
  }
}

/** True when version is in the range, e.g. "> 16.1, < 17 || >= 18". */
export function satisfies(version: string, range: string): boolean {
  return range.split('||').some((alt) => {
    const parts = alt.replace(/(>=|<=|>|<|!=|==|=)\s+/g, '$1').split(/[\s,]+/).filter(Boolean);
    if (parts.length === 0) throw new Error(`empty version range "${range}"`);
    return parts.every((p) => satisfiesComparator(version, p));
  });
}

/** Throws if a range does not parse, so the catalog can be checked before it is used. */
export function checkRange(range: string): void {
  satisfies('0.0.0', range);
}
