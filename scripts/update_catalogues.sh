#!/usr/bin/env bash
# Re-read every translatable string from the code and templates, and bring each language's
# catalogue up to date with it (new strings come in untranslated; see the README, "Languages").
set -euo pipefail
cd "$(dirname "$0")/.."
template=$(mktemp --suffix=.pot)
trap 'rm -f "$template"' EXIT
pybabel -q extract -F babel.cfg -k _l -k N_ --no-location --sort-output \
  --project="Angels & Mortals" -o "$template" .
pybabel -q update -i "$template" -d app/translations --no-fuzzy-matching --ignore-obsolete
