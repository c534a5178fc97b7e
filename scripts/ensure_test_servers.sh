#!/bin/sh
# Make Debian's PgBouncer, HAProxy and gettext available to the tests (the tests that run
# through a real PgBouncer, scripts/compose_local.py's balancer, the catalogue's xgettext), or
# say in one line how to get them. Only the programs are needed: the tests start their own.
missing=""
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null 2>&1 || missing="$missing pgbouncer"
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
# GNU gettext: the test that every string in the code is in the Chinese catalogue runs xgettext.
command -v xgettext >/dev/null 2>&1 || missing="$missing gettext"
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's$missing for the tests…"
  # shellcheck disable=SC2086 # one word per package
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
    && exit 0
fi
echo "Tests that need them will fail under make test (skipped with TESTS_FAIL_ON_SKIP=0): install them (sudo apt-get install$missing)."
exit 0
