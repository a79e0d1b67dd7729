#!/usr/bin/env bash
# Installs the official OpenAI JavaScript client (npm `openai`, v4) under the build tree for
# test_server_openai. Exit 77 (skipped) only when npm cannot reach its registry.
#   npm_setup.sh NPM_DIR
set -u
NPM_DIR=$1
if [ -f "$NPM_DIR/node_modules/openai/package.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm is not installed: skipped"
  exit 77
fi
if ! timeout 60 npm ping --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1; then
  echo "the npm registry cannot be reached: skipped"
  exit 77
fi
mkdir -p "$NPM_DIR"
exec timeout 600 npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error openai@4
