#!/usr/bin/env bash
# Run the suite; pytest's exit 5 ("no tests collected") is a failure here, never a silent pass.
set -uo pipefail
.venv/bin/pytest -q -ra "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$code"
