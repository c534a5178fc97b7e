#!/bin/sh
# The failure drills: a killed worker, a restarted Redis, a dropped database connection,
# /metrics under several gunicorn workers, gunicorn killed mid-request with an Idempotency-Key,
# and `make run` restarting what was killed. Each starts its own Redis on a spare port and its
# own worker and web processes; only the machine's PostgreSQL is shared (a test database).
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres sh scripts/drills/run.sh
set -eu
cd "$(dirname "$0")/../.."
BIN=${BIN:-.venv/bin}
exec "$BIN/python" -m pytest tests/drills -v "$@"
