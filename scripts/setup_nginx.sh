#!/usr/bin/env bash
# Installs Debian's nginx for the many-machines test (tests/web/test_replicas.py runs it in
# front of two replicas on loopback, with deploy/nginx.conf). Only the binary is used: the
# test starts its own nginx with its own configuration and stops it, and the package's
# service is kept from starting (policy-rc.d), so nothing listens on port 80 afterwards.
# Idempotent: returns at once when /usr/sbin/nginx is there.
set -euo pipefail
if [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "nginx is missing: installing Debian's nginx" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  ADDED_POLICY=1
fi
cleanup() { if [ -n "$ADDED_POLICY" ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx \
  >/dev/null
test -x /usr/sbin/nginx
