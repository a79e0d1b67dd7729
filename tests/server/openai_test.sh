#!/usr/bin/env bash
# test_server_openai: starts axvk serve on a tiny model and drives it with the official OpenAI
# JavaScript client (tests/server/openai_client.mjs). Skipped (77) without a Vulkan device, without
# node, or when the npm setup could not reach the registry.
#   openai_test.sh AXVK MODEL WORKDIR NPM_DIR
set -u
AXVK=$1
MODEL=$2
WORK=$3
NPM_DIR=$4
. "$(dirname "$0")/lib.sh"
if ! command -v node >/dev/null; then
  echo "node is not installed: skipped"
  exit $SKIP
fi
if [ ! -f "$NPM_DIR/node_modules/openai/package.json" ]; then
  echo "the openai npm package is not installed (no registry): skipped"
  exit $SKIP
fi
require_device
mkdir -p "$WORK"
LOG=$WORK/server.log
KEY="key-$$-$RANDOM"
start_server "$LOG" -np 4 -c 256 --metrics --api-key "$KEY" --alias axvk-tiny || exit 1
# ES modules resolve packages from the script's own folder: run a copy beside node_modules
cp "$(dirname "$0")/openai_client.mjs" "$NPM_DIR/openai_client.mjs"
AXVK_URL=$URL AXVK_KEY=$KEY node "$NPM_DIR/openai_client.mjs"
rc=$?
[ $rc -eq 0 ] || tail -n 40 "$LOG" >&2
stop_server "$LOG"
[ $rc -eq 0 ] && [ "$FAILED" -eq 0 ]
