// Version ordering and updateConstraints ranges (pure). Ranges use the Masterminds syntax KubeDB
// uses: comparators joined by commas (or spaces) are ANDed, `||` separates alternatives.
// A suffix such as KubeDB's `2.4.4-debian` names the image's flavour (its distribution), not a
// pre-release: versions are ordered by MAJOR.MINOR.PATCH alone, so 2.4.4-debian < 2.5.5-debian and
// "> 2.4.4" admits 2.5.5-debian.
export type Version = [number, number, number];

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z][0-9A-Za-z.]*))?$/;

export function parseVersion(v: string): Version {
  const m = VERSION.exec(v.trim());
  if (!m) throw new Error(`"${v}" is not a version (expected MAJOR.MINOR or MAJOR.MINOR.PATCH, optionally with a flavour such as -debian)`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** The flavour suffix of a version (`2.4.4-debian` → `debian`), or undefined. */
export function versionFlavour(v: string): string | undefined {
  return VERSION.exec(v.trim())?.[4];
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

const comparator = /^(>=|<=|>|<|=|==|!=)?\s*(v?\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z][0-9A-Za-z.]*)?)$/;

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
