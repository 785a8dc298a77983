# Shared by the set-up scripts (source it): running as root, and installing Debian packages with one clear
# line, instead of a hang at a hidden sudo prompt or a page of apt output.

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif sudo -n true 2>/dev/null || [ -t 0 ]; then
    sudo "$@"
  else
    echo "set-up: '$1 …' needs root, and sudo would ask for a password with no terminal to type it in;" \
      "run make from a terminal, or install the packages named above by hand" >&2
    exit 1
  fi
}

# apt_install WHY PACKAGE...: install Debian packages, saying in one line what and why; apt's own output
# is shown only when it fails.
apt_install() {
  local why=$1 log
  shift
  echo "set-up: installing $* (Debian) for $why" >&2
  log=$(mktemp)
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } \
      >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "set-up: could not install $* (apt's last lines above)" >&2
    exit 1
  fi
  rm -f "$log"
}
