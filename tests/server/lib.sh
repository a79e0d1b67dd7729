# Shared by the axvk serve tests: start a server on a free port, wait until it is ready, stop it
# and check it exited cleanly (under AddressSanitizer a leak makes the exit status non-zero),
# plus small JSON and HTTP helpers. Sourced; expects AXVK (the binary) and MODEL (a GGUF).

SKIP=77
FAILED=0
PASSED=0

fail() {
  echo "FAIL: $*" >&2
  FAILED=$((FAILED + 1))
}

pass() {
  PASSED=$((PASSED + 1))
}

# check DESCRIPTION COMMAND...: runs the command, counts a pass or a failure
check() {
  local what=$1
  shift
  if "$@"; then pass; else fail "$what"; fi
}

# json FILE EXPR [ARG]: prints the Python expression EXPR over the JSON in FILE (as `d`; ARG is
# sys.argv[3])
json() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval("(" + sys.argv[2] + "\n)")
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$@"
}

# No Vulkan device: the tests are skipped, not passed.
require_device() {
  if ! "$AXVK" devices >/dev/null 2>&1; then
    echo "no Vulkan device: skipped"
    exit $SKIP
  fi
}

# start_server LOG [flags...]: sets SERVER_PID, PORT, URL; waits for "ready" (90 s at most).
# With LISTEN_ONLY=1 it returns as soon as the port is known, before the model is loaded.
start_server() {
  local log=$1
  shift
  AXVK_VALIDATION=${AXVK_VALIDATION:-1} "$AXVK" serve -m "$MODEL" --port 0 "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  PORT=
  local want=ready
  [ "${LISTEN_ONLY:-0}" = 1 ] && want=listening
  for _ in $(seq 1 900); do
    if grep -q "axvk serve: $want" "$log"; then
      PORT=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$log" | head -n1)
      URL="http://127.0.0.1:$PORT"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server exited before it was ready:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "server not ready after 90 s:" >&2
  cat "$log" >&2
  return 1
}

# stop_server LOG: SIGTERM, then the exit status must be 0 and the log free of validation errors.
stop_server() {
  local log=$1 rc=0
  kill -TERM "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" || rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "server exited with status $rc"
    tail -n 60 "$log" >&2
  else
    pass
  fi
  if grep -q "validation error" "$log"; then
    fail "Vulkan validation errors in $log"
    grep "validation error" "$log" | head -n 5 >&2
  fi
}

# http_code [curl args...]: the status of a request whose body goes to $OUT
http_code() {
  curl -s -o "$OUT" -w '%{http_code}' --max-time 120 "$@"
}

# Every `data:` line of an SSE stream is JSON or [DONE]; the stream ends with [DONE].
sse_ok() {
  python3 - "$1" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l]
datas = [l[6:] for l in lines if l.startswith("data: ")]
if len(datas) != len(lines) or not datas or datas[-1] != "[DONE]":
    sys.exit("not a complete event stream: %r" % lines[-3:])
chunks = [json.loads(d) for d in datas[:-1]]
if any("error" in c for c in chunks):
    sys.exit("error event: %r" % chunks)
EOF
}

# The text an SSE stream carries (chat deltas or completion text), and its finish_reason.
sse_text() {
  python3 - "$1" <<'EOF'
import json, sys
text, finish = "", None
for l in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if not l.startswith("data: ") or l == "data: [DONE]":
        continue
    for c in json.loads(l[6:])["choices"]:
        text += c.get("text") or c.get("delta", {}).get("content") or ""
        finish = c["finish_reason"] or finish
sys.stdout.write(json.dumps([text, finish]))
EOF
}

# metric NAME: the value of axvk_NAME from /metrics
metric() {
  curl -s --max-time 10 -H "Authorization: Bearer $KEY" "$URL/metrics" |
    sed -n "s/^axvk_$1 //p"
}

summary() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
