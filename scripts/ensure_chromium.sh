#!/bin/sh
# Make Debian's Chromium available for the browser tests, or say in one line how to get it.
if [ -x /usr/bin/chromium ] || [ -n "$CHROMIUM_PATH" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
    && exit 0
fi
echo "Browser tests will fail under make test (skipped with TESTS_FAIL_ON_SKIP=0): install Chromium (sudo apt-get install chromium) or set CHROMIUM_PATH."
exit 0
