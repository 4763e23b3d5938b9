#!/usr/bin/env bash
# Regenerates interfaces/gen and fails if the committed output differs (drift check for CI).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent gen
if ! git diff --quiet --exit-code -- interfaces/gen || [ -n "$(git ls-files --others --exclude-standard interfaces/gen)" ]; then
  echo "generated code drift: interfaces/gen differs from 'npm run gen' output:" >&2
  git status --short -- interfaces/gen >&2
  git diff --stat -- interfaces/gen >&2
  exit 1
fi
echo "generated code: no drift"
