#!/usr/bin/env bash
# Run the test suite with coverage (pytest's addopts) plus an HTML report in htmlcov/.
# The 90% floor applies to a whole-suite run; a selection only reports coverage.
#   scripts/test.sh                       everything, on a throwaway embedded PostgreSQL
#   scripts/test.sh tests/api -x          any pytest arguments
#   FAST=1 scripts/test.sh                skip the slow tests (contract fuzzing, real servers)
#   DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/socia_test scripts/test.sh
#                                         against a PostgreSQL server instead
set -euo pipefail
cd "$(dirname "$0")/.."

args=(--cov-report=html)
if [ "${FAST:-}" = "1" ]; then
  args+=(-m "not slow")
fi
exec uv run pytest "${args[@]}" "$@"
