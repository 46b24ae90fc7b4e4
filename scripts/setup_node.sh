#!/usr/bin/env bash
# Installs the browser packages (TF.js, WASM backend, pose models) into web/node_modules.
set -euo pipefail
cd "$(dirname "$0")/../web"
stamp=node_modules/.movemirror-installed
if [ -f "$stamp" ] && [ "$stamp" -nt package.json ] && [ "$stamp" -nt package-lock.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: installing Debian's nodejs and npm" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
touch "$stamp"
