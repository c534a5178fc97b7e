#!/bin/sh
# `make test` after the installs: the static checks (ruff, import contracts, mypy, bandit and
# pip-audit) and the test suite, side by side. The checks are mostly one process each, and the
# suite's first half-minute leaves a core idle while its first worker migrates the template
# database the others copy: run one after the other, the checks added some 45 s to every run.
# Their output is shown once both are done; either failing fails `make test`.
# Usage: BIN=.venv/bin sh scripts/run_tests.sh [pytest arguments…]
set -u
BIN=${BIN:-.venv/bin}
cd "$(dirname "$0")/.."

log=$(mktemp "${TMPDIR:-/tmp}/network-static-checks.XXXXXX")
(
    set -e
    "$BIN/ruff" check .
    "$BIN/ruff" format --check .
    "$BIN/lint-imports"
    # mypy's Django plugin imports the settings, which want a database and Redis URL (without
    # them they start the embedded servers); mypy connects to neither, so any well-formed URL
    # does.
    DATABASE_URL=postgres://mypy@127.0.0.1:5432/mypy REDIS_URL=redis://127.0.0.1:6379/0 "$BIN/mypy"
    BIN=$BIN sh scripts/security_checks.sh
) >"$log" 2>&1 &
checks=$!
trap 'kill "$checks" 2>/dev/null; rm -f "$log"; exit 130' INT TERM

"$BIN/python" -m pytest "$@"
tests=$?

wait "$checks"
static=$?
echo "--- static checks: ruff, import contracts, mypy, bandit, pip-audit"
cat "$log"
rm -f "$log"
if [ "$static" -ne 0 ]; then
    echo "make test: the static checks failed (above)."
fi
[ "$tests" -eq 0 ] && [ "$static" -eq 0 ]
