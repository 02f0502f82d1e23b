#!/usr/bin/env bash
# opsflow's Postgres container command. Runs in the official postgres:<version> image as the postgres
# user (binaries on PATH); every path comes from the environment so a local runtime can map it.
#
#   DATA_DIR          /var/pv                 the PVC mount; holds data/, upgrade/, data.old-<major>/
#   PGDATA            $DATA_DIR/data          the cluster directory
#   CONFIG_DIR        /etc/opsflow/config     *.conf with postgresql.conf lines (rendered by the
#                                             provisioner); included in place (include_dir) after
#                                             opsflow's replication defaults, so a reload sees changes
#   RUN_DIR           /var/run/postgresql     unix socket dir (Pod-local); also holds the passfile
#   POD_NAME          $HOSTNAME               cluster_name, and application_name of a standby
#   POD_IP            (required)              listen_addresses is exactly this address
#   PGPORT            5432
#   POSTGRES_USER     postgres                bootstrap superuser; also the replication user
#   POSTGRES_PASSWORD (required, Secret)      its password; never logged, never on a command line
#   ROLE              from the data           primary | standby; unset: the data directory says (below)
#   PRIMARY_HOST      (standby: required)     DNS name of the primary: the primary Service, e.g.
#                                             pg.ns.svc, which follows the primary role label
#   PRIMARY_HOSTADDR  (optional)              its IP (libpq hostaddr, used beside host when no DNS)
#   PRIMARY_PORT      $PGPORT
#   TERMINATION_LOG   /dev/termination-log    where a fatal reason goes for the Pod's status
#
# What it does, by the state of PGDATA (PG_VERSION = the cluster's major, M = these binaries' major):
#   missing/empty      primary: initdb (+password, pg_hba) | standby: pg_basebackup from the primary,
#                      retrying until the primary answers with major M
#   PG_VERSION = M     start as is (a standby keeps following the primary)
#   PG_VERSION < M     primary: pg_upgrade --check, then --link, with the old binaries the
#                      copy-old-binaries.sh init container put in $DATA_DIR/upgrade/<old>/bin; the new
#                      cluster is built in $DATA_DIR/data.upgrade-<M> and swapped in only on success;
#                      the old one stays as $DATA_DIR/data.old-<old> (hard links: little space; a
#                      manual rollback point until the next major upgrade replaces it), as do the old
#                      binaries and pg_upgrade's reports (upgrade/work-<old>-to-<M>). A failed check:
#                      old PGDATA untouched, the reason on stderr and in upgrade/last-error, exit 1.
#                      How far --link got is recorded in upgrade/link-state and the termination
#                      message (the link marker below); once linking started and did not finish,
#                      neither cluster is started again, by any image (guard_interrupted_link).
#                      standby: move the data aside, re-clone from the (upgraded) primary, delete it.
#   PG_VERSION > M     refuse (a downgrade is not possible).
# The role (ROLE unset) is data, not an ordinal: a cluster directory with standby.signal is a standby,
# one without it the primary (promotion removes the signal; a switchover writes it into the old
# primary's data before stopping it, with opsflow-demoted beside it). An empty data directory is
# cloned from the primary, except on <name>-0 when no primary answers at PRIMARY_HOST: that is a new
# database, initialised here. A demoted primary is rewound (pg_rewind, which the wal_log_hints and
# data checksums below allow) from the new primary before it starts following it, in case its
# timeline diverged.
# Then `exec postgres`, so the kubelet's signals reach the postmaster (SIGTERM smart, SIGINT fast;
# the official image's STOPSIGNAL is SIGINT).
#
# Choices: replication uses the superuser and its password (one Secret, no second role to keep in
# sync), read by libpq from a passfile in RUN_DIR that is rewritten on every start; pg_hba trusts
# the Pod-local socket only and wants SCRAM on every TCP connection, replication included.
# listen_addresses, port, socket dir and primary_conninfo go on postgres's command line, so neither a
# user file can move them; primary_conninfo goes into conf.d (rewritten on every start, and any
# earlier ALTER SYSTEM value of it is dropped) so a switchover can repoint a running standby with
# ALTER SYSTEM + a reload. Standbys use no replication slots (wal_keep_size bounds how long one may be
# down before it needs a re-clone). Roles are not switched here: a standby is promoted by the
# operator (pg_promote()).
set -euo pipefail

DATA_DIR="${DATA_DIR:-/var/pv}"
PGDATA="${PGDATA:-$DATA_DIR/data}"
CONFIG_DIR="${CONFIG_DIR:-/etc/opsflow/config}"
RUN_DIR="${RUN_DIR:-/var/run/postgresql}"
PGPORT="${PGPORT:-5432}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POD_NAME="${POD_NAME:-${HOSTNAME:-postgres}}"
POD_IP="${POD_IP:-}"
ROLE="${ROLE:-}"
PRIMARY_HOST="${PRIMARY_HOST:-}"
PRIMARY_HOSTADDR="${PRIMARY_HOSTADDR:-}"
PRIMARY_PORT="${PRIMARY_PORT:-$PGPORT}"
UPGRADE_DIR="$DATA_DIR/upgrade"
PASSFILE="$RUN_DIR/.opsflow-pgpass"
TERMINATION_LOG="${TERMINATION_LOG:-/dev/termination-log}"
export PGDATA PGPORT LC_ALL=C # LC_ALL: stable, parseable tool output (pg_controldata)

log() { printf '%s opsflow-bootstrap[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$POD_NAME" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

[ -n "$POD_IP" ] || die "POD_IP is not set (the address to listen on)"
[ -n "${POSTGRES_PASSWORD:-}" ] || die "POSTGRES_PASSWORD is not set"
case "$ROLE" in "" | primary | standby) ;; *) die "ROLE must be primary or standby, not '$ROLE'" ;; esac

# "postgres (PostgreSQL) 16.4 (Debian 16.4-1.pgdg120+1)" -> 16.4 -> 16
RUN_VERSION="$(postgres -V | sed -E 's/^[^0-9]*([0-9]+(\.[0-9]+)?).*$/\1/')"
RUN_MAJOR="${RUN_VERSION%%.*}"
NEW_BINDIR="$(cd "$(dirname "$(command -v postgres)")" && pwd -P)"

umask 077 # PGDATA must be 0700 and the passfile 0600
mkdir -p "$RUN_DIR" "$UPGRADE_DIR"

# Credentials go through files libpq reads (passfile, initdb --pwfile), never through argv or logs.
# The passfile is rewritten on every start, so a rotated Secret reaches replication on restart.
pgpass_escape() { local v="${1//\\/\\\\}"; printf '%s' "${v//:/\\:}"; }
printf '*:*:*:%s:%s\n' "$(pgpass_escape "$POSTGRES_USER")" "$(pgpass_escape "$POSTGRES_PASSWORD")" >"$PASSFILE"

# A postgresql.conf string: in single quotes, \ doubled and ' doubled.
conf_quote() { local v="${1//\\/\\\\}" q="'"; printf "'%s'" "${v//$q/$q$q}"; }
# A conninfo value in single quotes, with \ and ' escaped.
cq() { local v="${1//\\/\\\\}"; printf "'%s'" "${v//\'/\\\'}"; }
PRIMARY_CONNINFO="port=$(cq "$PRIMARY_PORT") user=$(cq "$POSTGRES_USER") passfile=$(cq "$PASSFILE") application_name=$(cq "$POD_NAME") connect_timeout=10"
[ -z "$PRIMARY_HOSTADDR" ] || PRIMARY_CONNINFO="hostaddr=$(cq "$PRIMARY_HOSTADDR") $PRIMARY_CONNINFO"
[ -z "$PRIMARY_HOST" ] || PRIMARY_CONNINFO="host=$(cq "$PRIMARY_HOST") $PRIMARY_CONNINFO"

# pg_hba: the socket is reachable only inside the Pod (probes, pg_upgrade), so it trusts; every TCP
# connection, replication included, needs the SCRAM password.
write_hba() {
  cat >"$1/pg_hba.conf" <<'EOF'
# Written by opsflow bootstrap.sh on every start.
# TYPE  DATABASE     USER  ADDRESS    METHOD
local   all          all              trust
local   replication  all              trust
host    all          all   0.0.0.0/0  scram-sha-256
host    all          all   ::/0       scram-sha-256
host    replication  all   0.0.0.0/0  scram-sha-256
host    replication  all   ::/0       scram-sha-256
EOF
}

ensure_include() {
  mkdir -p "$1/conf.d" # include_dir of a missing directory is a fatal config error
  grep -qxF "include_dir = 'conf.d'" "$1/postgresql.conf" ||
    printf "\n# opsflow: replication defaults and the user's CONFIG_DIR files (bootstrap.sh)\ninclude_dir = 'conf.d'\n" >>"$1/postgresql.conf"
}

# The config volume is included where it is mounted (not copied), so a reload (pg_reload_conf)
# picks up a changed config Secret without a restart; its files win over opsflow's defaults. Where
# it is mounted can change from one Pod to the next (a local runtime maps it per Pod), so this runs
# before anything starts a server on the data directory (crash recovery, pg_upgrade) too.
link_config_volume() {
  [ -d "$1/conf.d" ] || return 0
  if [ -d "$CONFIG_DIR" ]; then
    printf "# Written by opsflow bootstrap.sh on every start: the config volume.\ninclude_dir = %s\n" "$(cq "$CONFIG_DIR")" >"$1/conf.d/50-opsflow-config-volume.conf"
  else
    rm -f "$1/conf.d/50-opsflow-config-volume.conf"
  fi
}

# Operator-owned config, rewritten on every start; the user's files come after the defaults.
sync_config() {
  local d="$1" f n=0
  mkdir -p "$d/conf.d"
  rm -f "$d"/conf.d/*.conf
  cat >"$d/conf.d/00-opsflow-defaults.conf" <<'EOF'
# Written by opsflow bootstrap.sh on every start: what streaming replication needs.
wal_level = replica
hot_standby = on
max_wal_senders = 10
wal_keep_size = '256MB'
wal_log_hints = on
password_encryption = 'scram-sha-256'
EOF
  if [ -d "$CONFIG_DIR" ]; then
    for f in "$CONFIG_DIR"/*.conf; do [ -f "$f" ] && n=$((n + 1)); done
  fi
  link_config_volume "$d"
  write_hba "$d"
  ensure_include "$d"
  log "config: opsflow defaults + $n file(s) from $CONFIG_DIR"
}

# initdb into a fresh directory: same superuser, C locale (the same on every image, and what a later
# pg_upgrade re-creates), password from a file.
init_cluster() {
  local dir="$1" pwfile="$RUN_DIR/.opsflow-pwfile"
  shift
  rm -rf "$dir"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  if ! initdb -D "$dir" --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C "$@" >&2; then
    rm -f "$pwfile"
    return 1
  fi
  rm -f "$pwfile"
  write_hba "$dir"
  ensure_include "$dir"
}

# A standby's data comes from the primary, copied into a side directory and moved in only when
# complete, so a crash mid-copy never leaves a half PGDATA. Retries until the primary answers and
# runs our major (during a major upgrade the standby may be up before the primary is upgraded).
clone_from_primary() {
  local tmp="$DATA_DIR/data.clone" attempt=0 delay=1 v
  log "cloning from the primary ($PRIMARY_HOST${PRIMARY_HOSTADDR:+ at $PRIMARY_HOSTADDR}:$PRIMARY_PORT)"
  while :; do
    attempt=$((attempt + 1))
    rm -rf "$tmp"
    if ! pg_isready -q -d "$PRIMARY_CONNINFO"; then
      if [ $((attempt % 10)) -eq 1 ]; then log "primary does not answer yet (attempt $attempt); retrying"; fi
    elif pg_basebackup -D "$tmp" -d "$PRIMARY_CONNINFO" --wal-method=stream --checkpoint=fast --no-password; then
      v="$(cat "$tmp/PG_VERSION")"
      if [ "$v" = "$RUN_MAJOR" ]; then break; fi
      log "the primary runs PostgreSQL $v, this Pod $RUN_MAJOR: waiting for the primary's upgrade"
    else
      log "pg_basebackup failed (attempt $attempt); retrying"
    fi
    sleep "$delay"
    delay=$((delay < 8 ? delay * 2 : 10))
  done
  touch "$tmp/standby.signal"
  mv "$tmp" "$PGDATA"
  log "cloned from the primary (attempt $attempt)"
}

# --- The pg_upgrade --link marker (read by the ops workflow: src/engines/postgres/upgrade-state.ts) ---
# $DATA_DIR/upgrade/link-state holds "<state> <old major> <new major> <time>", state one of
#   not-linked   an upgrade began; pg_upgrade has not linked anything (the old cluster is intact)
#   linking      pg_upgrade --link is running (still there after a crash: see guard_interrupted_link)
#   interrupted  --link failed after linking had started: the old cluster is not started again
#   upgraded     --link finished; the new cluster is (or is about to be swapped in as) PGDATA
# and the container's termination message carries it as "opsflow-upgrade: <state> <old> <new>",
# so the workflow's rollback decision comes from what pg_upgrade did, not from a step's outcome.
LINK_STATE="$UPGRADE_DIR/link-state"

link_state() { # $1 = state, $2 = old major, $3 = new major
  printf '%s %s %s %s\n' "$1" "$2" "$3" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$LINK_STATE.tmp"
  mv "$LINK_STATE.tmp" "$LINK_STATE"
  report_link_state
}

link_state_line() { # the termination message's marker line ('' without a link-state)
  local state old new rest
  [ -f "$LINK_STATE" ] || return 0
  read -r state old new rest <"$LINK_STATE" || true
  printf 'opsflow-upgrade: %s %s %s\n' "$state" "$old" "$new"
}

# The marker alone as the termination message: the kubelet reports it whenever the container ends
# (killed mid-link, or postgres exiting later), so it is written before each step that may not return.
report_link_state() { link_state_line >"$TERMINATION_LOG" 2>/dev/null || true; }

# A reason (file $1) and the marker as the termination message, within the kubelet's 4096 bytes.
report_failure() { { head -c 3800 "$1"; printf '\n'; link_state_line; } >"$TERMINATION_LOG" 2>/dev/null || true; }

# Runs before anything starts a server on PGDATA, whatever the image: a pg_upgrade --link that
# started linking and did not finish leaves an old cluster that may be unusable (pg_upgrade's docs:
# once the new cluster has started, and pg_upgrade starts it after linking), so nothing is started.
guard_interrupted_link() {
  local state old new rest msg="$UPGRADE_DIR/interrupted-link"
  [ -f "$LINK_STATE" ] || return 0
  read -r state old new rest <"$LINK_STATE" || true
  case "$state" in linking | interrupted) ;; *) return 0 ;; esac
  if [ "$state" = linking ] && [ -f "$PGDATA/global/pg_control" ] && [ ! -f "$PGDATA/global/pg_control.old" ]; then
    # pg_upgrade was cut short before it disabled the old cluster (it renames pg_control first).
    log "an earlier pg_upgrade --link from $old to $new was cut short before linking: the PostgreSQL $old data directory is intact"
    link_state not-linked "$old" "$new"
    return 0
  fi
  [ "$state" = interrupted ] || link_state interrupted "$old" "$new"
  printf '%s\n' "pg_upgrade --link from PostgreSQL $old to $new started linking on $PGDATA and did not finish: refusing to start either cluster." \
    "In link mode the old cluster may be unusable once the new one has started (global/pg_control.old marks it disabled)." \
    "Recover by hand: see $UPGRADE_DIR/work-$old-to-$new/upgrade.out and $DATA_DIR/data.upgrade-$new; restore from a backup if in doubt;" \
    "then remove $LINK_STATE." >"$msg"
  log "FATAL: $(cat "$msg")"
  report_failure "$msg"
  exit 1
}
# A failed pg_upgrade --link ($1 old major, $2 new cluster dir, $3 reason). pg_upgrade renames the
# old pg_control to pg_control.old just before it links: without it nothing was linked and the old
# cluster is intact; with it the old cluster is left disabled (never renamed back: pg_upgrade may
# have started the new cluster already) and so is the new one, for a recovery by hand.
link_failed() {
  if [ -f "$PGDATA/global/pg_control.old" ]; then
    link_state interrupted "$1" "$RUN_MAJOR"
    upgrade_failed "$1" "pg_upgrade --link: $3" "linking had started: neither cluster is started again (global/pg_control.old stays; $2 is kept); see $LINK_STATE"
  fi
  rm -rf "$2"
  link_state not-linked "$1" "$RUN_MAJOR"
  upgrade_failed "$1" "pg_upgrade --link: $3"
}
# --- end of the link marker ---

upgrade_failed() { # $1 = old major, $2 = reason (may be many lines), $3 = what became of the old data
  local outcome="${3:-the old data directory is untouched and still PostgreSQL $1}"
  {
    printf 'major upgrade of %s from PostgreSQL %s to %s failed at %s:\n' "$PGDATA" "$1" "$RUN_VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '%s\n' "$2"
  } >"$UPGRADE_DIR/last-error"
  log "FATAL: major upgrade failed; $outcome"
  cat "$UPGRADE_DIR/last-error" >&2
  # The kubelet shows this file as the container's termination message (Pod status), which is how
  # the ops workflow learns pg_upgrade's reason without reading the volume.
  report_failure "$UPGRADE_DIR/last-error"
  exit 1
}

# pg_upgrade's own output plus the files it points at (lists of offending objects, server logs).
pg_upgrade_reason() {
  local out="$1" f
  cat "$out"
  { grep -oE '/[^" ]+\.(txt|log)' "$out" || true; } | sort -u | while read -r f; do
    if [ -f "$f" ]; then printf '\n--- %s\n' "$f"; tail -n 40 "$f"; fi
  done
}

# Finishes a swap cut short by a crash (otherwise a primary would find no PGDATA and initdb anew).
finish_pending_swap() {
  local pending="$UPGRADE_DIR/swap-pending" old_major new
  [ -f "$pending" ] || return 0
  { read -r old_major && read -r new; } <"$pending"
  if [ -d "$new" ]; then
    # Only the latest old cluster is kept: earlier rollback points are gone with this upgrade.
    if [ -d "$PGDATA" ]; then rm -rf "$DATA_DIR"/data.old-* && mv "$PGDATA" "$DATA_DIR/data.old-$old_major"; fi
    mv "$new" "$PGDATA"
  fi
  rm -f "$pending"
}

upgrade_primary() {
  local old="$1" old_bindir="$UPGRADE_DIR/$1/bin" new="$DATA_DIR/data.upgrade-$RUN_MAJOR" work out ctl state checksums segbytes v
  local -a initdb_args=() common=()
  rm -f "$UPGRADE_DIR/last-error"
  link_state not-linked "$old" "$RUN_MAJOR"
  log "PGDATA is PostgreSQL $old, this image runs $RUN_VERSION: major upgrade with pg_upgrade --link"
  [ -x "$old_bindir/postgres" ] && [ -x "$old_bindir/pg_ctl" ] && [ -x "$old_bindir/pg_controldata" ] ||
    upgrade_failed "$old" "the PostgreSQL $old binaries are not in $old_bindir: the copy-old-binaries.sh init container (running the postgres:$old image) must run first"
  v="$("$old_bindir/postgres" -V 2>&1)" || upgrade_failed "$old" "the copied PostgreSQL $old binaries do not run: $v"
  [[ "$v" =~ \)\ $old\. ]] || upgrade_failed "$old" "$old_bindir/postgres is not PostgreSQL $old: $v"

  ctl="$("$old_bindir/pg_controldata" -D "$PGDATA" 2>&1)" || upgrade_failed "$old" "pg_controldata failed: $ctl"
  state="$(sed -n 's/^Database cluster state: *//p' <<<"$ctl")"
  if [ "$state" != "shut down" ] && [ "$state" != "shut down in recovery" ]; then
    # pg_upgrade needs a clean shutdown; a killed primary gets its crash recovery from the old server.
    log "the old cluster was not shut down cleanly ($state): crash recovery in single-user mode"
    "$old_bindir/postgres" --single -D "$PGDATA" template1 </dev/null >&2 ||
      upgrade_failed "$old" "crash recovery of the old cluster with PostgreSQL $old failed (see the log above)"
    ctl="$("$old_bindir/pg_controldata" -D "$PGDATA" 2>&1)"
  fi
  # The new cluster must match the old one's page checksums and WAL segment size.
  checksums="$(sed -n 's/^Data page checksum version: *//p' <<<"$ctl")"
  segbytes="$(sed -n 's/^Bytes per WAL segment: *//p' <<<"$ctl")"
  if [ "${checksums:-0}" != 0 ]; then initdb_args+=(--data-checksums); elif [ "$RUN_MAJOR" -ge 18 ]; then initdb_args+=(--no-data-checksums); fi
  [ -z "$segbytes" ] || initdb_args+=("--wal-segsize=$((segbytes / 1024 / 1024))")

  out="$(init_cluster "$new" "${initdb_args[@]}" 2>&1)" || { rm -rf "$new"; upgrade_failed "$old" "initdb of the new cluster failed: $out"; }
  # pg_upgrade writes its reports into the current directory (and, from 15 on, into the new PGDATA).
  work="$UPGRADE_DIR/work-$old-to-$RUN_MAJOR"
  rm -rf "$work" && mkdir -p "$work" && cd "$work"
  common=(--old-bindir="$old_bindir" --new-bindir="$NEW_BINDIR" --old-datadir="$PGDATA" --new-datadir="$new"
    --username="$POSTGRES_USER" --socketdir="$RUN_DIR")

  log "pg_upgrade --check"
  if ! pg_upgrade --check "${common[@]}" >"$work/check.out" 2>&1; then
    local reason
    reason="$(pg_upgrade_reason "$work/check.out")"
    rm -rf "$new"
    upgrade_failed "$old" "pg_upgrade --check: $reason"
  fi
  log "pg_upgrade --link"
  link_state linking "$old" "$RUN_MAJOR"
  if ! pg_upgrade --link "${common[@]}" >"$work/upgrade.out" 2>&1; then
    local reason
    reason="$(pg_upgrade_reason "$work/upgrade.out")"
    link_failed "$old" "$new" "$reason"
  fi
  link_state upgraded "$old" "$RUN_MAJOR"
  cat "$work/upgrade.out"
  cd /
  # The swap: two renames on one filesystem, recorded first so a crash in between is finished on
  # the next start.
  printf '%s\n%s\n' "$old" "$new" >"$UPGRADE_DIR/swap-pending"
  finish_pending_swap
  printf 'upgraded %s from PostgreSQL %s to %s at %s; old cluster kept in %s\n' "$PGDATA" "$old" "$RUN_VERSION" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$DATA_DIR/data.old-$old" >"$UPGRADE_DIR/last-upgrade"
  log "upgraded to PostgreSQL $RUN_VERSION; the old cluster is kept in $DATA_DIR/data.old-$old (statistics: run vacuumdb --all --analyze-in-stages)"
}

if [ -f "$UPGRADE_DIR/swap-pending" ]; then
  log "finishing the data directory swap of an upgrade that was interrupted"
  finish_pending_swap
fi

guard_interrupted_link

# Does a primary answer at PRIMARY_HOST? (Never this Pod: it is not running yet.)
primary_answers() { [ -n "$PRIMARY_HOST$PRIMARY_HOSTADDR" ] && pg_isready -q -t 3 -d "$PRIMARY_CONNINFO"; }

if [ -z "$ROLE" ]; then
  if [ -f "$PGDATA/PG_VERSION" ]; then
    if [ -f "$PGDATA/standby.signal" ]; then ROLE=standby; else ROLE=primary; fi
  else
    ROLE=standby
    case "$POD_NAME" in *-0) primary_answers || ROLE=primary ;; esac
  fi
  log "role from the data directory: $ROLE"
fi
if [ "$ROLE" = standby ] && [ -z "$PRIMARY_HOST$PRIMARY_HOSTADDR" ]; then die "a standby needs PRIMARY_HOST"; fi
# Locally (no cluster DNS) the runtime gives PRIMARY_HOSTADDR only when a Pod holds the primary role;
# without it and without DNS, end so the kubelet starts this container again with a fresh address.
if [ "$ROLE" = standby ] && [ -z "$PRIMARY_HOSTADDR" ] && ! getent hosts "$PRIMARY_HOST" >/dev/null 2>&1; then
  sleep 2
  die "the primary $PRIMARY_HOST does not resolve (no Pod holds the primary role yet?)"
fi

data_major=""
if [ -f "$PGDATA/PG_VERSION" ]; then
  data_major="$(cat "$PGDATA/PG_VERSION")"
  link_config_volume "$PGDATA"
elif [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
  # Not a cluster directory (we never leave half-made ones): a primary's data is never guessed at.
  [ "$ROLE" = standby ] || die "$PGDATA is not empty but holds no PostgreSQL cluster (no PG_VERSION); refusing to touch it"
  log "$PGDATA holds no cluster: removing it (standby data is re-cloned)"
  rm -rf "$PGDATA"
fi

if [ -z "$data_major" ]; then
  if [ "$ROLE" = primary ]; then
    log "initialising a new PostgreSQL $RUN_VERSION cluster"
    init_cluster "$DATA_DIR/data.init" --data-checksums
    mv "$DATA_DIR/data.init" "$PGDATA"
  else
    rm -rf "$PGDATA"
    clone_from_primary
    rm -rf "$DATA_DIR"/data.old-* # copies a standby set aside (e.g. before a restart cut a re-clone short)
  fi
elif ! [[ "$data_major" =~ ^[0-9]+$ ]]; then
  die "$PGDATA/PG_VERSION says '$data_major', not a major version"
elif [ "$data_major" -gt "$RUN_MAJOR" ]; then
  die "$PGDATA is PostgreSQL $data_major but this image runs $RUN_VERSION: a downgrade is not possible; run a postgres:$data_major image"
elif [ "$data_major" -lt "$RUN_MAJOR" ]; then
  if [ "$ROLE" = primary ]; then
    upgrade_primary "$data_major"
  else
    log "PGDATA is PostgreSQL $data_major, this image runs $RUN_VERSION: re-cloning from the upgraded primary"
    rm -rf "$DATA_DIR/data.old-$data_major"
    mv "$PGDATA" "$DATA_DIR/data.old-$data_major"
    clone_from_primary
    rm -rf "$DATA_DIR"/data.old-*
  fi
else
  log "PGDATA holds a PostgreSQL $data_major cluster: starting it"
fi

# A demoted primary (the switchover left opsflow-demoted beside standby.signal): rewind it from the
# new primary if its timeline diverged (pg_rewind says "no rewind required" otherwise). Retries until
# the new primary answers; the data is not started before.
rewind_demoted() {
  local attempt=0 out
  [ -f "$PGDATA/opsflow-demoted" ] || return 0
  touch "$PGDATA/standby.signal"
  local promoted waited=0
  while :; do
    attempt=$((attempt + 1))
    # Once the new primary is promoted pg_rewind sees whether this timeline diverged. The wait is
    # bounded: an operator that crashed mid-switchover waits for this member to answer as a standby
    # before it promotes; then the rewind is from the still-standby target (PostgreSQL 14+ allows
    # that), which leaves this member a copy of it that follows its promotion.
    promoted="$(psql -d "$PRIMARY_CONNINFO dbname=postgres" -XAtqc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null || true)"
    if [ "$promoted" != t ] && [ "$waited" -lt 20 ]; then
      if [ $((attempt % 10)) -eq 1 ]; then log "demoted primary: waiting for the new primary at $PRIMARY_HOST to be promoted"; fi
      waited=$((waited + 1))
      sleep 0.5
      continue
    fi
    if out="$(pg_rewind --target-pgdata="$PGDATA" --source-server="$PRIMARY_CONNINFO dbname=postgres" 2>&1)"; then
      log "demoted primary: $(printf '%s' "$out" | tail -n 1)"
      [ "$promoted" = t ] || log "demoted primary: the new primary is not promoted yet; starting as its standby"
      break
    fi
    if [ $((attempt % 10)) -eq 1 ]; then log "pg_rewind from the new primary failed (attempt $attempt), retrying: $(printf '%s' "$out" | tail -n 1)"; fi
    sleep 1
  done
  touch "$PGDATA/standby.signal" # pg_rewind copies the source's files; the role stays standby
  rm -f "$PGDATA/opsflow-demoted"
}
[ "$ROLE" != standby ] || [ -z "$data_major" ] || rewind_demoted

sync_config "$PGDATA"
args=(-D "$PGDATA" -c "listen_addresses=$POD_IP" -c "port=$PGPORT" -c "unix_socket_directories=$RUN_DIR" -c "cluster_name=$POD_NAME")
# A hot standby refuses to start when one of these is lower than the primary's value recorded in its
# pg_control (e.g. the primary restarted first with a lowered max_connections and this standby has
# not replayed that yet). Like Patroni, start it with the recorded value until it has caught up.
standby_limits() {
  local ctl line key param want have
  ctl="$(pg_controldata -D "$PGDATA" 2>/dev/null)" || return 0
  for line in "max_connections:max_connections" "max_worker_processes:max_worker_processes" \
    "max_wal_senders:max_wal_senders" "max_prepared_xacts:max_prepared_transactions" "max_locks_per_xact:max_locks_per_transaction"; do
    key="${line%%:*}" param="${line#*:}"
    want="$(printf '%s\n' "$ctl" | sed -n "s/^${key} setting: *\([0-9][0-9]*\)$/\1/p")"
    have="$(postgres -D "$PGDATA" -C "$param" 2>/dev/null)" || continue
    if [ -n "$want" ] && [[ "$have" =~ ^[0-9]+$ ]] && [ "$want" -gt "$have" ]; then
      log "standby: $param $have is lower than the primary's $want in pg_control; starting with $want until the primary's new value is replayed"
      args+=(-c "$param=$want")
    fi
  done
}

# primary_conninfo of an earlier ALTER SYSTEM (a switchover's repoint) is dropped: on every start
# it comes from PRIMARY_HOST again (it names the passfile, not the password).
if [ -f "$PGDATA/postgresql.auto.conf" ]; then sed -i '/^[[:space:]]*primary_conninfo[[:space:]]*=/d' "$PGDATA/postgresql.auto.conf"; fi
if [ "$ROLE" = standby ]; then
  standby_limits
  touch "$PGDATA/standby.signal"
  printf "# Written by opsflow bootstrap.sh on every start: the primary this standby follows.\nprimary_conninfo = %s\n" \
    "$(conf_quote "$PRIMARY_CONNINFO")" >"$PGDATA/conf.d/10-opsflow-standby.conf"
elif [ -f "$PGDATA/standby.signal" ]; then
  log "warning: ROLE=primary but PGDATA has standby.signal: starting as a standby; promotion (pg_ctl promote) is the operator's step"
fi
log "starting PostgreSQL $RUN_VERSION as $ROLE on $POD_IP:$PGPORT"
report_link_state # e.g. "upgraded": what the termination message says if postgres ever exits
exec postgres "${args[@]}"
