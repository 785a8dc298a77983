#!/usr/bin/env bash
# The staff workspace's catalogues (server/staff/i18n.py): extract the strings of the pages and server code,
# update the Indonesian and English catalogues, compile them. Then fill in the English msgstr values in
# server/translations/en/LC_MESSAGES/messages.po and run this again (tests/staff/test_catalogues.py checks).
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=.venv/bin/pybabel
$BABEL extract -F babel.cfg -k _l -k lazy_gettext -o /tmp/verval-messages.pot --no-location --sort-output --omit-header .
for lang in id en; do
  po=server/translations/$lang/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    $BABEL update -i /tmp/verval-messages.pot -d server/translations -l "$lang" --no-fuzzy-matching --ignore-obsolete --omit-header
  else
    $BABEL init -i /tmp/verval-messages.pot -d server/translations -l "$lang"
  fi
done
$BABEL compile -d server/translations --use-fuzzy
