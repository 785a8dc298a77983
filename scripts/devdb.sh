#!/usr/bin/env bash
# The project-private PostgreSQL + PostGIS cluster in .pgdata/ (git-ignored), reached only through its
# own Unix socket in .pgdata/run, so it never touches a system database.
#   scripts/devdb.sh start      install packages if missing, init the cluster once, start it, create db
#   scripts/devdb.sh stop       stop it
#   scripts/devdb.sh destroy    stop it and delete the cluster with all its data (wherever it lives)
#   scripts/devdb.sh where      print the folder that holds the cluster
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
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_packages() {
  if [ -z "$(pg_bin_dir)" ]; then
    apt_install "the project's private database" postgresql
  fi
  local version
  version=$(basename "$(dirname "$(pg_bin_dir)")")
  if [ ! -f "/usr/share/postgresql/$version/extension/postgis.control" ]; then
    apt_install "the project's private database" "postgresql-$version-postgis-3"
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
  quiet_logs
  if ! psql -h "$RUN" -p "$PGPORT" -U "$DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'verval'" | grep -q 1; then
    psql -h "$RUN" -p "$PGPORT" -U "$DB_USER" -d postgres -qc "CREATE DATABASE verval" >/dev/null
  fi
}

# A failed statement is logged without its text, its parameters or the DETAIL line (which quotes the
# offending key, e.g. a NIK): only the error message. Applied to a running cluster too (reloadable).
quiet_logs() {
  psql -h "$RUN" -p "$PGPORT" -U "$DB_USER" -d postgres -qAt >/dev/null <<'SQL'
ALTER SYSTEM SET log_min_error_statement = 'panic';
ALTER SYSTEM SET log_error_verbosity = 'terse';
ALTER SYSTEM SET log_parameter_max_length_on_error = 0;
ALTER SYSTEM SET log_parameter_max_length = 0;
SELECT pg_reload_conf();
SQL
}

stop() {
  local bin
  bin=$(pg_bin_dir)
  [ -n "$bin" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
}

destroy() {
  stop
  if [ -L "$ROOT/.pgdata" ]; then
    rm -rf "$BASE"
    rm -f "$ROOT/.pgdata"
  else
    rm -rf "$ROOT/.pgdata"
  fi
  say "deleted the private cluster ($BASE)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  destroy) destroy ;;
  where) echo "$BASE" ;;
  url) url "${2:-}" ;;
  *) echo "usage: $0 start|stop|destroy|where|url [DB]" >&2; exit 2 ;;
esac
