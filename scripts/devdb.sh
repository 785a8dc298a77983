#!/usr/bin/env bash
# The project-private PostgreSQL + PostGIS cluster in .pgdata/ (git-ignored), reached only through its
# own Unix socket in .pgdata/run, so it never touches a system database.
#   scripts/devdb.sh start      install packages if missing, init the cluster once, start it, create db
#   scripts/devdb.sh stop       stop it
#   scripts/devdb.sh url [DB]   print the DATABASE_URL for database DB (default verval)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGPORT=${VERVAL_PGPORT:-54329}
BASE=$ROOT/.pgdata
# When the checkout is somewhere the postgres user cannot enter (root's home), .pgdata is a link to a
# folder of the postgres user's own, made by `start`.
[ -L "$BASE" ] && BASE=$(readlink -f "$BASE")
DATA=$BASE/data
RUN=$BASE/run
LOG=$BASE/postgres.log
DB_USER=verval

say() { echo "devdb: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_packages() {
  if [ -z "$(pg_bin_dir)" ]; then
    say "installing PostgreSQL (Debian package postgresql)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(basename "$(dirname "$(pg_bin_dir)")")
  if [ ! -f "/usr/share/postgresql/$version/extension/postgis.control" ]; then
    say "installing PostGIS (Debian package postgresql-$version-postgis-3)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$version-postgis-3" >/dev/null
  fi
}

# initdb and postgres refuse to run as root: as root, the cluster belongs to the postgres system user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# As root, the cluster runs as postgres, which must be able to reach it.
link_if_unreachable() {
  [ "$(id -u)" = 0 ] && [ ! -e "$BASE" ] || return 0
  as_owner test -x "$ROOT" && return 0
  local home
  home=/var/lib/postgresql/verval-$(printf %s "$ROOT" | md5sum | cut -c1-12)
  say "postgres cannot enter $ROOT; keeping the cluster in $home (linked from .pgdata)"
  mkdir -p "$home"
  chown postgres:postgres "$home"
  ln -s "$home" "$ROOT/.pgdata"
  BASE=$home DATA=$home/data RUN=$home/run LOG=$home/postgres.log
}

url() {
  echo "postgresql://$DB_USER@/${1:-verval}?host=$RUN&port=$PGPORT"
}

start() {
  ensure_packages
  local bin
  bin=$(pg_bin_dir)
  link_if_unreachable
  mkdir -p "$BASE"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating the project cluster in .pgdata/"
    mkdir -p "$DATA" "$RUN"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$BASE"
    as_owner "$bin/initdb" -D "$DATA" -U "$DB_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$BASE" "$RUN" 2>/dev/null
  if ! as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-c listen_addresses='' -k $RUN -p $PGPORT -c fsync=on -c max_connections=100" start >/dev/null \
      || { say "PostgreSQL did not start; see $LOG"; tail -n 20 "$LOG" >&2; exit 1; }
  fi
  if ! psql -h "$RUN" -p "$PGPORT" -U "$DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'verval'" | grep -q 1; then
    psql -h "$RUN" -p "$PGPORT" -U "$DB_USER" -d postgres -qc "CREATE DATABASE verval" >/dev/null
  fi
}

stop() {
  local bin
  bin=$(pg_bin_dir)
  [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url "${2:-}" ;;
  *) echo "usage: $0 start|stop|url [DB]" >&2; exit 2 ;;
esac
