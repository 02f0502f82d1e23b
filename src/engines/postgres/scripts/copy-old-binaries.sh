#!/usr/bin/env bash
# Init container of a Postgres major upgrade, run with the OLD image (postgres:<old>): copies this
# image's PostgreSQL installation onto the data volume, where the new image's bootstrap.sh hands it
# to pg_upgrade as --old-bindir:
#
#   $DATA_DIR/upgrade/<major>/bin -> root/<bindir>     postgres, pg_ctl, pg_controldata, ...
#   $DATA_DIR/upgrade/<major>/lib -> root/<pkglibdir>  the server's modules (plpgsql.so, extensions)
#   $DATA_DIR/upgrade/<major>/share -> root/<sharedir> timezonesets, extension scripts
#   $DATA_DIR/upgrade/<major>/VERSION                  `postgres -V` of the copy
#
# PostgreSQL finds its lib and share directories relative to the (symlink-resolved) executable by
# the shape of the install (Debian: /usr/lib/postgresql/N/bin vs /usr/share/postgresql/N), so the
# three directories keep their layout below root/ and bin, lib, share are links into it.
# Host libraries (libssl, libicu, ...; Debian's libdir is /usr/lib/<triplet>) are not copied: the
# old and new images must share their OS base, as the official images of one period do.
# Idempotent: a complete copy of the same version is kept; a partial or other-version copy is redone.
set -euo pipefail

DATA_DIR="${DATA_DIR:-/var/pv}"
log() { printf '%s opsflow-copy-old-binaries: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

postgres_bin="$(command -v postgres)" || die "postgres is not on PATH"
bindir="$(cd "$(dirname "$postgres_bin")" && pwd -P)"
version="$("$bindir/postgres" -V)"
major="$(sed -E 's/^[^0-9]*([0-9]+).*$/\1/' <<<"$version")"

# Ask this installation's own pg_config (a pg_config elsewhere on PATH may be another version's).
if [ -x "$bindir/pg_config" ]; then
  pkglibdir="$("$bindir/pg_config" --pkglibdir)"
  sharedir="$("$bindir/pg_config" --sharedir)"
else
  pkglibdir="$bindir/../lib"
  case "$bindir" in
    */lib/postgresql/"$major"/bin) sharedir="${bindir%/lib/postgresql/"$major"/bin}/share/postgresql/$major" ;;
    *) sharedir="$bindir/../share" ;;
  esac
fi
pkglibdir="$(cd "$pkglibdir" && pwd -P)" || die "no library directory $pkglibdir"
sharedir="$(cd "$sharedir" && pwd -P)" || die "no share directory $sharedir"

dest="$DATA_DIR/upgrade/$major"
if [ -f "$dest/.complete" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ] && [ -x "$dest/bin/postgres" ]; then
  log "$version already copied to $dest"
  exit 0
fi

# The longest directory prefix shared by the three paths.
common_prefix() {
  local p="$1" x
  shift
  for x in "$@"; do
    while [ "$p" != / ] && [ "$x" != "$p" ] && [ "${x#"$p"/}" = "$x" ]; do p="$(dirname "$p")"; done
  done
  printf '%s' "$p"
}
prefix="$(common_prefix "$bindir" "$pkglibdir" "$sharedir")"
rel() { if [ "$prefix" = / ]; then printf '%s' "${1#/}"; else printf '%s' "${1#"$prefix"/}"; fi; }

log "copying $version ($bindir, $pkglibdir, $sharedir) to $dest"
tmp="$dest.partial"
rm -rf "$tmp"
mkdir -p "$tmp/root"
for d in "$bindir" "$pkglibdir" "$sharedir"; do
  mkdir -p "$tmp/root/$(dirname "$(rel "$d")")"
  cp -a "$d" "$tmp/root/$(rel "$d")"
done
ln -s "root/$(rel "$bindir")" "$tmp/bin"
ln -s "root/$(rel "$pkglibdir")" "$tmp/lib"
ln -s "root/$(rel "$sharedir")" "$tmp/share"
copied="$("$tmp/bin/postgres" -V)" || die "the copy does not run"
[ "$copied" = "$version" ] || die "the copy reports '$copied', expected '$version'"
printf '%s\n' "$version" >"$tmp/VERSION"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
log "copied $version to $dest ($(du -sh "$dest/root" | cut -f1))"
