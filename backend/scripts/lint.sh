#!/usr/bin/env bash
# Lint and type-check the backend: ruff (format + rules) and mypy strict.
#   scripts/lint.sh          check only (what CI runs)
#   scripts/lint.sh --fix    format and fix what ruff can, then check
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--fix" ]; then
  uv run ruff format .
  uv run ruff check --fix .
fi
uv run ruff format --check .
uv run ruff check .
uv run mypy app tests bench
