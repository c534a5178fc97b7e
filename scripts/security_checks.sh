#!/bin/sh
# Security checks of `make test`: bandit (no high-severity finding in the code) and pip-audit
# (no known vulnerability in the installed packages, except those listed with a reason in
# scripts/pip-audit-ignore.txt). Both come from the `test` extra of pyproject.toml.
set -eu
BIN=${BIN:-.venv/bin}
cd "$(dirname "$0")/.."

echo "bandit: high-severity findings fail the run"
"$BIN/bandit" -q -c pyproject.toml -r network merchants catalog moderation orders shipping payments deals training carriersim scripts \
    --severity-level high --confidence-level medium

# Each line of the ignore list: VULNERABILITY-ID  reason (lines starting with # are comments).
ignores=$(sed -n 's/^\([A-Za-z][A-Za-z0-9-]*\)[[:space:]].*/--ignore-vuln \1/p' scripts/pip-audit-ignore.txt)
echo "pip-audit: known vulnerabilities in installed packages fail the run"
# --skip-editable: this project itself is not on PyPI. Without a reachable vulnerability
# service pip-audit reports each package as "could not be audited" and passes; the output says so.
# shellcheck disable=SC2086
"$BIN/pip-audit" --progress-spinner off --skip-editable $ignores
