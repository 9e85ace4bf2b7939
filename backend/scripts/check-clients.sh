#!/usr/bin/env bash
# Generate the clients a frontend would use from the OpenAPI document and fail on
# any warning: a Python client (openapi-python-client) and TypeScript types
# (openapi-typescript, checked with tsc --strict). Run from anywhere.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
SPEC="$OUT/openapi.json"

uv run socia openapi --output "$SPEC" >/dev/null
echo "spec: $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(p) for p in d['paths'].values()))" "$SPEC") operations"

fail=0
check_log() {  # name, log: fail when the tool printed a warning or an error
  if grep -qiE '\bwarn(ing)?s?\b|^ *error' "$2"; then
    echo "$1 reported problems:" >&2
    cat "$2" >&2
    fail=1
  else
    echo "$1: clean"
  fi
}

uvx --from openapi-python-client==0.29.1 openapi-python-client generate \
  --path "$SPEC" --output-path "$OUT/python-client" --overwrite \
  --config scripts/openapi-python-client.yaml --meta none >"$OUT/python.log" 2>&1 || {
  cat "$OUT/python.log" >&2; echo "openapi-python-client failed" >&2; exit 1; }
check_log "openapi-python-client" "$OUT/python.log"

npx --yes openapi-typescript@7.13.0 "$SPEC" -o "$OUT/schema.d.ts" >"$OUT/ts.log" 2>&1 || {
  cat "$OUT/ts.log" >&2; echo "openapi-typescript failed" >&2; exit 1; }
check_log "openapi-typescript" "$OUT/ts.log"

npx --yes -p typescript@5 tsc --noEmit --strict "$OUT/schema.d.ts" >"$OUT/tsc.log" 2>&1 || {
  cat "$OUT/tsc.log" >&2; echo "tsc --strict failed on the generated types" >&2; exit 1; }
echo "tsc --strict: clean"

exit "$fail"
