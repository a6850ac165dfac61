#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for browser tests, a CJK font for screenshots, GNU
# gettext for the catalog completeness test, and pg_dump/pg_restore for `chainboard backup` and `restore`
# on PostgreSQL (postgresql-client: version 15 on Debian 12, as the server). Installed only where missing,
# only as root.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
command -v xgettext >/dev/null || missing+=(gettext)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "WARNING: missing ${missing[*]}; browser or catalog tests will be skipped" >&2
  fi
fi
