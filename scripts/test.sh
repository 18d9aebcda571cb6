#!/usr/bin/env bash
# The whole test suite: lint, the JS engine tests under Node, then pytest
# (unit tests and the headless-Chromium end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m ruff check src tests benchmarks lite
python3 -m ruff format --check src tests benchmarks lite
# the public API type-checks strictly (configured in pyproject.toml)
python3 -m mypy
(cd js && npm run build)
node --test js/test/
python3 -m pytest -q -p no:cacheprovider tests "$@"
# The widget's start paths (Run All, stop/run, reload and kernel restart
# mid-run), each once on a fresh kernel; exits 1 on a hang or an error.
# Skipped when pytest got arguments (a partial run).
if [ $# -eq 0 ]; then
  python3 tests/e2e/soak.py --runs 6
fi
