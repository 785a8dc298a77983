#!/usr/bin/env bash
# The set-up check (`make fresh-check`): proves the README's two commands on a truly fresh Debian 12.
#
# Builds a minimal Debian 12 (bookworm) root file system with debootstrap from this machine's own apt
# sources (only git, make, ca-certificates, curl and python3 added, as on a bare server), copies in the
# machine's CA trust store and apt settings, then, inside it with a clean environment (`env -i`, so no pip or
# npm setting leaks in from the host): `git clone` of this checkout's HEAD, `make test`, and a short
# `HOUSEHOLDS=2000 make run` checked by its health endpoint and one login. Everything it mounted is
# unmounted and every process it started inside is stopped, even on failure; the times are reported.
#
#   FRESH_ROOT=/var/tmp/verval-fresh   where the root file system is built (deleted afterwards)
#   FRESH_KEEP=1                       keep the root file system for a look after the run
#   FRESH_PORT=18000                   port of the short `make run`
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOTFS=${FRESH_ROOT:-/var/tmp/verval-fresh}
PORT=${FRESH_PORT:-18000}
SUITE=bookworm
# shellcheck source=scripts/lib.sh
. "$REPO/scripts/lib.sh"

say() { echo "fresh-check: $*" >&2; }
now() { date +%s; }
[ "$(id -u)" = 0 ] || { say "needs root (debootstrap, chroot and mounts): run it as root or with sudo"; exit 1; }
command -v debootstrap >/dev/null || apt_install "the fresh-machine check" debootstrap

mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / && $3 == "'$SUITE'" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { say "cannot find a Debian mirror in this machine's apt sources"; exit 1; }

inside() { # inside SCRIPT: bash inside the root file system with nothing but a minimal environment
  chroot "$ROOTFS" /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -euo pipefail -c "$1"
}

MOUNTS=()
cleanup() {
  local status=$?
  # Stop the private cluster cleanly, then whatever still runs inside, then unmount in reverse order.
  if [ -x "$ROOTFS/root/verval/scripts/devdb.sh" ] && [ ${#MOUNTS[@]} -gt 0 ]; then
    inside "cd /root/verval && scripts/devdb.sh stop" </dev/null >/dev/null 2>&1 || true
  fi
  if [ -d "$ROOTFS/proc" ]; then
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
      root=$(readlink "/proc/$pid/root" 2>/dev/null || true)
      [ "$root" = "$ROOTFS" ] && kill -9 "$pid" 2>/dev/null || true
    done
  fi
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -l "${MOUNTS[$i]}" 2>/dev/null || true
  done
  if [ "${FRESH_KEEP:-}" != 1 ] && [ -d "$ROOTFS" ]; then
    # Only delete when nothing is mounted below it any more.
    if ! grep -q " $ROOTFS" /proc/mounts; then rm -rf "$ROOTFS"; fi
  fi
  [ "$status" = 0 ] || say "FAILED (exit $status)"
  exit "$status"
}
trap cleanup EXIT INT TERM

mount_into() { # mount_into SOURCE TARGET [mount options...]
  mkdir -p "$ROOTFS$2"
  mount "${@:3}" "$1" "$ROOTFS$2"
  MOUNTS+=("$ROOTFS$2")
}

grep -q " $ROOTFS" /proc/mounts && { say "something is still mounted under $ROOTFS; unmount it first"; exit 1; }
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"

t0=$(now)
say "building a minimal Debian 12 in $ROOTFS from $mirror"
debootstrap --variant=minbase --include=git,make,ca-certificates,curl,python3 "$SUITE" "$ROOTFS" "$mirror" \
  >"$ROOTFS.debootstrap.log" 2>&1 || { tail -n 20 "$ROOTFS.debootstrap.log" >&2; exit 1; }
rm -f "$ROOTFS.debootstrap.log"
# The machine's apt sources and settings, and its CA trust store (the registries may be reached through
# a proxy with its own certificate authority).
cp -a /etc/apt/sources.list.d/. "$ROOTFS/etc/apt/sources.list.d/"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$ROOTFS/etc/apt/sources.list"
rm -f "$ROOTFS"/etc/apt/sources.list.d/*disabled* 2>/dev/null || true
for conf in /etc/apt/apt.conf.d/*; do
  grep -qiE 'proxy|Check-Valid|Check-Date' "$conf" && cp "$conf" "$ROOTFS/etc/apt/apt.conf.d/"
done
cp -a /usr/local/share/ca-certificates/. "$ROOTFS/usr/local/share/ca-certificates/"
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
# No service starts at package installation, as in a container (the project starts its own cluster).
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
t_rootfs=$(($(now) - t0))
say "root file system ready in ${t_rootfs} s"

mount_into proc /proc -t proc
mount_into sysfs /sys -t sysfs
mount_into /dev /dev --bind
mount_into devpts /dev/pts -t devpts
mount_into tmpfs /dev/shm -t tmpfs
# The repository itself (its common .git, so a worktree checkout works too), read-only.
mount_into "$(cd "$REPO" && cd "$(git rev-parse --git-common-dir)" && pwd)" /mnt/source.git --bind -o ro

head=$(git -C "$REPO" rev-parse HEAD)
say "cloning $head and running make test"
t0=$(now)
inside "git config --global --add safe.directory '*' && git clone -q /mnt/source.git /root/verval \
  && cd /root/verval && git checkout -q $head && make test" </dev/null
t_test=$(($(now) - t0))
say "make test passed in ${t_test} s"

say "starting HOUSEHOLDS=2000 make run"
t0=$(now)
# Its output is in /root/run.log; the background shell's own stderr would only say "Killed" at clean-up.
inside "cd /root/verval && HOUSEHOLDS=2000 PORT=$PORT make run >/root/run.log 2>&1" </dev/null 2>/dev/null &
run_pid=$!
healthy=
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null 2>&1; then healthy=yes; break; fi
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 1
done
t_run=$(($(now) - t0))
[ -n "$healthy" ] || { say "make run did not become healthy:"; tail -n 30 "$ROOTFS/root/run.log" >&2; exit 1; }
curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username": "enumerator1", "password": "demo-verval", "device_name": "fresh-check"}' \
  | grep -q access_token || { say "the demo login failed"; exit 1; }
say "make run healthy in ${t_run} s, demo login works"

say "times: root file system ${t_rootfs} s, make test ${t_test} s, make run to healthy ${t_run} s"
