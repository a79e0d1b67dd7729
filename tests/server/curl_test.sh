#!/usr/bin/env bash
# test_server_curl: axvk serve over plain HTTP — every endpoint and error code, streaming against
# whole answers, stop strings, logprobs, a load test (8 concurrent streaming clients x 10
# requests, each answer complete and equal to the same request answered alone), clients that go
# away mid-answer (the slot is freed within a second), a full queue, and a clean exit.
#   curl_test.sh AXVK MODEL WORKDIR
set -u
AXVK=$1
MODEL=$2
WORK=$3
. "$(dirname "$0")/lib.sh"
require_device
mkdir -p "$WORK"
OUT=$WORK/out.json
LOG=$WORK/server.log
KEY="key-$$-$RANDOM"
CHAT='{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"안녕하세요! What is a GPU?"}],"max_tokens":3,"temperature":0}'

post() { # post PATH BODY [curl args]: status code; body in $OUT
  local path=$1 body=$2
  shift 2
  http_code -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" "$@" "$URL$path"
}

expect() { # expect WHAT WANT GOT
  if [ "$2" = "$3" ]; then pass; else fail "$1: expected $2, got $3 ($(head -c 300 "$OUT"))"; fi
}

expect_error() { # expect_error WHAT STATUS TYPE PARAM GOT: status, then {"error": {code, type, param}}
  expect "$1" "$2" "$5"
  expect "$1: error" "$2 $3 $4" "$(json "$OUT" '"%s %s %s" % (d["error"]["code"], d["error"]["type"],
    d["error"].get("param", "") if sys.argv[3] else "")' "$4")"
}

# ---- loading: /health answers 503 until the model is ready, then 200 -----------------------------
echo "[$SECONDS s] loading"
# -b 5: prompts go in 5-token chunks between the other slots' decode steps, so the load test
# below also checks that interleaved prefill gives the answers a request gets alone
LISTEN_ONLY=1 start_server "$LOG" -np 8 -c 256 -b 5 --metrics --api-key "other-key,$KEY" \
  --alias axvk-tiny --max-body 65536 || exit 1
code=$(http_code "$URL/health")
if [ "$code" = 503 ]; then
  expect_error "health while loading" 503 unavailable_error "" "$code"
elif ! grep -q "axvk serve: ready" "$LOG"; then
  fail "health while loading: $code"
fi
start_server_wait() {
  for _ in $(seq 1 900); do grep -q "axvk serve: ready" "$LOG" && return 0; sleep 0.1; done
  return 1
}
check "server ready" start_server_wait
expect "health" 200 "$(http_code "$URL/health")"
expect "health body" ok "$(json "$OUT" 'd["status"]')"

# ---- models, keys --------------------------------------------------------------------------------
echo "[$SECONDS s] models, keys"
expect "models without a key" 200 "$(http_code "$URL/v1/models")"
expect "model id" axvk-tiny "$(json "$OUT" 'd["data"][0]["id"]')"
expect "models object" list "$(json "$OUT" 'd["object"]')"
expect_error "no key" 401 authentication_error "" \
  "$(http_code -d "$CHAT" "$URL/v1/chat/completions")"
expect_error "wrong key" 401 authentication_error "" \
  "$(http_code -H "Authorization: Bearer ${KEY}x" -d "$CHAT" "$URL/v1/chat/completions")"
expect "second key" 200 "$(http_code -H "Authorization: Bearer other-key" -d "$CHAT" "$URL/v1/chat/completions")"
expect "X-Api-Key" 200 "$(http_code -H "X-Api-Key: $KEY" -d "$CHAT" "$URL/v1/chat/completions")"
expect "metrics need the key" 401 "$(http_code "$URL/metrics")"

# ---- chat: whole, repeated, streamed -------------------------------------------------------------
echo "[$SECONDS s] chat"
expect "chat" 200 "$(post /v1/chat/completions "$CHAT")"
cp "$OUT" "$WORK/chat.json"
expect "chat object" chat.completion "$(json "$OUT" 'd["object"]')"
expect "chat role" assistant "$(json "$OUT" 'd["choices"][0]["message"]["role"]')"
expect "chat finish" length "$(json "$OUT" 'd["choices"][0]["finish_reason"]')"
expect "chat completion tokens" 3 "$(json "$OUT" 'd["usage"]["completion_tokens"]')"
expect "chat total tokens" true "$(json "$OUT" 'd["usage"]["total_tokens"] == d["usage"]["prompt_tokens"] + 3')"
expect "chat id" true "$(json "$OUT" 'd["id"].startswith("chatcmpl-")')"
content=$(json "$WORK/chat.json" 'json.dumps(d["choices"][0]["message"]["content"])')
n_prompt=$(json "$WORK/chat.json" 'd["usage"]["prompt_tokens"]')
expect "apply-template" 200 "$(post /apply-template "$CHAT")"
prompt=$(json "$OUT" 'json.dumps(d["prompt"])')
expect "template holds the message" true "$(json "$OUT" '"What is a GPU?" in d["prompt"]')"
expect "tokenize the prompt" 200 "$(post /tokenize "{\"content\":$prompt}")"
expect "usage counts the rendered prompt" "$n_prompt" "$(json "$OUT" 'len(d["tokens"])')"
expect "chat again" 200 "$(post /v1/chat/completions "$CHAT")"
expect "greedy answers repeat" "$content" "$(json "$OUT" 'json.dumps(d["choices"][0]["message"]["content"])')"
SEEDED='{"prompt":"Seoul is","max_tokens":3,"temperature":1.0,"top_k":0,"top_p":1,"min_p":0,"seed":1234}'
expect "seeded" 200 "$(post /v1/completions "$SEEDED")"
seeded=$(json "$OUT" 'json.dumps(d["choices"][0]["text"])')
expect "seeded again" 200 "$(post /v1/completions "$SEEDED")"
expect "same seed, same text" "$seeded" "$(json "$OUT" 'json.dumps(d["choices"][0]["text"])')"

STREAM=${CHAT%\}},\"stream\":true,\"stream_options\":{\"include_usage\":true}}
expect "chat stream" 200 "$(post /v1/chat/completions "$STREAM" -N)"
check "chat stream well-formed" sse_ok "$OUT"
expect "stream text equals whole" "[$content, \"length\"]" "$(sse_text "$OUT")"
expect "stream opens with the role" assistant "$(python3 -c 'import json,sys
print(json.loads(open(sys.argv[1]).read().split("\n")[0][6:])["choices"][0]["delta"]["role"])' "$OUT")"
expect "stream usage chunk" 3 "$(python3 -c 'import json,sys
c = [l for l in open(sys.argv[1]).read().split("\n") if l.startswith("data: {")][-1]
d = json.loads(c[6:]); print(d["usage"]["completion_tokens"] if d["choices"] == [] else -1)' "$OUT")"

# ---- completions: text and ids, whole and streamed -----------------------------------------------
echo "[$SECONDS s] completions"
COMP='{"prompt":"The weather in Seoul","max_tokens":8,"temperature":0}'
expect "completion" 200 "$(post /v1/completions "$COMP")"
expect "completion object" text_completion "$(json "$OUT" 'd["object"]')"
text=$(json "$OUT" 'json.dumps(d["choices"][0]["text"])')
expect "tokenize" 200 "$(post /tokenize '{"content":"The weather in Seoul"}')"
ids=$(json "$OUT" 'd["tokens"]')
expect "completion from ids" 200 "$(post /v1/completions "{\"prompt\":$ids,\"max_tokens\":8,\"temperature\":0}")"
expect "ids and text prompts agree" "$text" "$(json "$OUT" 'json.dumps(d["choices"][0]["text"])')"
expect "completion stream" 200 "$(post /v1/completions "${COMP%\}},\"stream\":true}" -N)"
check "completion stream well-formed" sse_ok "$OUT"
expect "completion stream text" "[$text, \"length\"]" "$(sse_text "$OUT")"

# ---- stop strings: the text ends before the first match, streamed or not -------------------------
echo "[$SECONDS s] stop strings"
stop=$(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); k=len(t)//2; print(json.dumps(t[k:k+2]))' "$text")
want=$(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); s=json.loads(sys.argv[2]); print(json.dumps([t[:t.find(s)], "stop"]))' "$text" "$stop")
expect "stop" 200 "$(post /v1/completions "${COMP%\}},\"stop\":[\"never-there\",$stop]}")"
expect "stop cuts the text" "$want" "$(json "$OUT" '[d["choices"][0]["text"], d["choices"][0]["finish_reason"]]')"
expect "stop streamed" 200 "$(post /v1/completions "${COMP%\}},\"stop\":$stop,\"stream\":true}" -N)"
check "stop stream well-formed" sse_ok "$OUT"
expect "stop streamed cuts the text" "$want" "$(sse_text "$OUT")"

# ---- logprobs ------------------------------------------------------------------------------------
echo "[$SECONDS s] logprobs"
expect "chat logprobs" 200 "$(post /v1/chat/completions "${CHAT%\}},\"logprobs\":true,\"top_logprobs\":3}")"
expect "chat logprobs shape" true "$(json "$OUT" 'all(len(e["top_logprobs"]) == 3 and e["logprob"] <= 0
  and isinstance(e["bytes"], list) and e["top_logprobs"][0]["logprob"] == e["logprob"]
  and e["top_logprobs"][0]["logprob"] >= e["top_logprobs"][1]["logprob"] >= e["top_logprobs"][2]["logprob"]
  for e in d["choices"][0]["logprobs"]["content"]) and len(d["choices"][0]["logprobs"]["content"]) == 3')"
expect "completion logprobs" 200 "$(post /v1/completions "${COMP%\}},\"logprobs\":2}")"
expect "completion logprobs shape" true "$(json "$OUT" 'len(d["choices"][0]["logprobs"]["tokens"]) == 8
  and len(d["choices"][0]["logprobs"]["top_logprobs"]) == 8 and d["choices"][0]["logprobs"]["text_offset"][0] == 0
  and all(1 <= len(t) <= 2 for t in d["choices"][0]["logprobs"]["top_logprobs"])')"
# tokens that split a character show U+FFFD each; whole ones spell the text
expect "completion logprobs spell the text" true "$(json "$OUT" '"\ufffd" in "".join(d["choices"][0]["logprobs"]["tokens"])
  or "".join(d["choices"][0]["logprobs"]["tokens"]) == d["choices"][0]["text"]')"

# ---- tokenize, detokenize ------------------------------------------------------------------------
echo "[$SECONDS s] tokenize, detokenize"
expect "tokenize special" 200 "$(post /tokenize '{"content":"안녕하세요, world<|im_end|>"}')"
expect "special token parsed" true "$(json "$OUT" '27 in d["tokens"]')"
ids=$(json "$OUT" 'd["tokens"]')
expect "detokenize" 200 "$(post /detokenize "{\"tokens\":$ids}")"
expect "round trip" "안녕하세요, world<|im_end|>" "$(json "$OUT" 'd["content"]')"
expect "tokenize plain" 200 "$(post /tokenize '{"content":"world<|im_end|>","parse_special":false}')"
expect "special token as text" false "$(json "$OUT" '27 in d["tokens"]')"
expect "tokenize pieces" 200 "$(post /tokenize '{"content":"안녕 hi","with_pieces":true}')"
expect "pieces" "안녕 hi" "$(json "$OUT" '"".join(t["piece"] for t in d["tokens"])')"

# ---- errors --------------------------------------------------------------------------------------
echo "[$SECONDS s] errors"
expect_error "malformed JSON" 400 invalid_request_error "" "$(post /v1/chat/completions '{"messages":')"
expect_error "not an object" 400 invalid_request_error "" "$(post /v1/chat/completions '[1]')"
expect_error "no messages" 400 invalid_request_error messages "$(post /v1/chat/completions '{"model":"x"}')"
expect_error "bad message" 400 invalid_request_error messages "$(post /v1/chat/completions '{"messages":[{"content":"no role"}]}')"
expect_error "temperature type" 400 invalid_request_error temperature \
  "$(post /v1/chat/completions '{"messages":[{"role":"user","content":"x"}],"temperature":"hot"}')"
expect_error "max_tokens 0" 400 invalid_request_error max_tokens \
  "$(post /v1/completions '{"prompt":"x","max_tokens":0}')"
expect_error "stop type" 400 invalid_request_error stop "$(post /v1/completions '{"prompt":"x","stop":5}')"
expect_error "stream type" 400 invalid_request_error stream "$(post /v1/completions '{"prompt":"x","stream":"yes"}')"
expect_error "logprobs type" 400 invalid_request_error logprobs \
  "$(post /v1/chat/completions '{"messages":[{"role":"user","content":"x"}],"logprobs":"yes"}')"
expect_error "top_logprobs range" 400 invalid_request_error top_logprobs \
  "$(post /v1/chat/completions '{"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":50}')"
expect_error "prompt type" 400 invalid_request_error prompt "$(post /v1/completions '{"prompt":{}}')"
expect_error "prompt id range" 400 invalid_request_error prompt "$(post /v1/completions '{"prompt":[1,99999999]}')"
expect_error "empty prompt" 400 invalid_request_error prompt "$(post /v1/completions '{"prompt":""}')"
expect_error "tokenize content" 400 invalid_request_error content "$(post /tokenize '{"content":5}')"
expect_error "detokenize ids" 400 invalid_request_error tokens "$(post /detokenize '{"tokens":[-1]}')"
expect_error "detokenize vocabulary" 400 invalid_request_error tokens "$(post /detokenize '{"tokens":[99999999]}')"
long=$(python3 -c 'print("hello " * 400)')
expect_error "prompt past the context" 400 exceed_context_size_error "" \
  "$(post /v1/completions "{\"prompt\":\"$long\"}")"
expect "context counts" true "$(json "$OUT" 'd["error"]["n_ctx"] == 256 and d["error"]["n_prompt_tokens"] > 256')"
expect_error "unknown path" 404 not_found_error "" "$(post /v1/nothing '{}')"
expect_error "wrong method" 405 invalid_request_error "" "$(http_code -H "Authorization: Bearer $KEY" "$URL/v1/chat/completions")"
python3 -c 'print("{\"prompt\":\"" + "x" * 70000 + "\"}")' >"$WORK/big.json"
expect_error "body too large" 413 invalid_request_error "" "$(post /v1/completions "@$WORK/big.json")"
expect_error "chunked body too large" 413 invalid_request_error "" \
  "$(post /v1/completions "@$WORK/big.json" -H 'Transfer-Encoding: chunked')"
expect "errors leave the server up" 200 "$(post /v1/completions '{"prompt":"x","max_tokens":1}')"

# ---- load: 8 clients x 10 streamed requests, answers as when alone -------------------------------
echo "[$SECONDS s] load"
for c in 1 2 3 4 5 6 7 8; do
  body="{\"messages\":[{\"role\":\"user\",\"content\":\"client $c asks question $c\"}],\"max_tokens\":4,\"temperature\":0"
  post /v1/chat/completions "$body}" >/dev/null
  json "$OUT" 'json.dumps([d["choices"][0]["message"]["content"], d["choices"][0]["finish_reason"]])' >"$WORK/alone_$c"
  echo "$body}" >"$WORK/plain_$c"
  echo "$body,\"stream\":true}" >"$WORK/body_$c"
done
t0=$(date +%s.%N)
clients=()
for c in 1 2 3 4 5 6 7 8; do
  (for r in $(seq 1 10); do
     curl -sN --max-time 120 -H "Authorization: Bearer $KEY" -d "@$WORK/body_$c" \
       -o "$WORK/load_${c}_$r" "$URL/v1/chat/completions"
   done) &
  clients+=($!)
done
wait "${clients[@]}"
t1=$(date +%s.%N)
bad=$(python3 - "$WORK" <<'EOF'
import json, sys
work, bad = sys.argv[1], 0
for c in range(1, 9):
    alone = json.loads(open(f"{work}/alone_{c}", encoding="utf-8").read())
    for r in range(1, 11):
        lines = [l for l in open(f"{work}/load_{c}_{r}", encoding="utf-8").read().split("\n") if l]
        ok = lines and all(l.startswith("data: ") for l in lines) and lines[-1] == "data: [DONE]"
        text, finish = "", None
        try:
            for l in lines[:-1]:
                for ch in json.loads(l[6:])["choices"]:
                    text += ch["delta"].get("content") or ""
                    finish = ch["finish_reason"] or finish
        except (ValueError, KeyError):
            ok = False
        if not ok or [text, finish] != alone:
            bad += 1
            if bad <= 3:
                print(f"load answer {c}/{r}: {[text, finish]} vs {alone}", file=sys.stderr)
print(bad)
EOF
)
expect "load: answers complete and equal to the answers alone" 0 "$bad"
echo "load: 80 streamed requests in $(python3 -c "print(round($t1 - $t0, 1))") s"
expect "load: no slot left active" 0 "$(metric requests_processing)"
expect "load: queue empty" 0 "$(metric requests_deferred)"
expect "load: KV cache released" 0 "$(metric kv_cache_tokens)"

# ---- clients that go away ------------------------------------------------------------------------
echo "[$SECONDS s] clients that go away"
# gone_within SECONDS: polls until no slot is active; fails past the deadline
gone_within() {
  local deadline
  deadline=$(python3 -c "import time; print(time.time() + $1)")
  while python3 -c "import sys, time; sys.exit(time.time() > $deadline)"; do
    [ "$(metric requests_processing)" = 0 ] && return 0
    sleep 0.05
  done
  return 1
}
cancelled=$(metric requests_cancelled_total)
LONG='{"messages":[{"role":"user","content":"talk for a long time"}],"max_tokens":1000,"temperature":0,"stream":true}'
curl -sN --max-time 60 -H "Authorization: Bearer $KEY" -d "$LONG" "$URL/v1/chat/completions" | head -n 7 >"$WORK/cut.txt"
expect "disconnect: the stream had started" 4 "$(grep -c '^data: ' "$WORK/cut.txt")"
check "disconnect: the slot is freed within a second" gone_within 1.0
expect "disconnect: counted as cancelled" $((cancelled + 1)) "$(metric requests_cancelled_total)"
curl -s -o /dev/null --max-time 1 -H "Authorization: Bearer $KEY" -d "${LONG%,\"stream\":true\}}}" "$URL/v1/chat/completions"
check "disconnect while waiting: the slot is freed within a second" gone_within 1.0
expect "after disconnects a request completes" 200 "$(post /v1/completions '{"prompt":"still there?","max_tokens":3}')"
expect "after disconnects: finish" length "$(json "$OUT" 'd["choices"][0]["finish_reason"]')"
expect "after disconnects: no active slot" 0 "$(metric requests_processing)"
stop_server "$LOG"

# ---- a full queue gives 503; metrics off gives 501; settings from AXVK_ARG_* ---------------------
echo "[$SECONDS s] a full queue"
LOG2=$WORK/server2.log
KEY="env-$RANDOM"
AXVK_ARG_N_PARALLEL=1 AXVK_ARG_MAX_QUEUE=1 AXVK_ARG_CTX_SIZE=256 AXVK_ARG_ALIAS=from-env \
  AXVK_ARG_API_KEY=$KEY start_server "$LOG2" || exit 1
expect "models" 200 "$(http_code "$URL/v1/models")"
expect "alias from the environment" from-env "$(json "$OUT" 'd["data"][0]["id"]')"
expect "parallel from the environment" 1 "$(json "$OUT" 'd["data"][0]["meta"]["n_parallel"]')"
expect "key from the environment" 401 "$(http_code -d "$CHAT" "$URL/v1/chat/completions")"
post /v1/chat/completions "$(cat "$WORK/plain_1")" >/dev/null
expect "whole prompts (-b 512) answer as 5-token chunks did" "$(cat "$WORK/alone_1")" \
  "$(json "$OUT" 'json.dumps([d["choices"][0]["message"]["content"], d["choices"][0]["finish_reason"]])')"
curl -sN --max-time 60 -H "Authorization: Bearer $KEY" -d "$LONG" "$URL/v1/chat/completions" >"$WORK/a.txt" &
a=$!
for _ in $(seq 1 300); do [ "$(grep -c '^data: ' "$WORK/a.txt")" -ge 2 ] && break; sleep 0.05; done
curl -sN --max-time 60 -H "Authorization: Bearer $KEY" -d "$LONG" "$URL/v1/chat/completions" >"$WORK/b.txt" &
b=$!
for _ in $(seq 1 300); do [ -s "$WORK/b.txt" ] && break; sleep 0.05; done
expect_error "queue full" 503 unavailable_error "" "$(post /v1/chat/completions "$CHAT")"
kill "$a" "$b" 2>/dev/null
wait "$a" "$b" 2>/dev/null
# the server notices the two clients are gone within a fraction of a second
drained() {
  for _ in $(seq 1 40); do
    [ "$(post /v1/chat/completions "$CHAT")" = 200 ] && return 0
    sleep 0.05
  done
  return 1
}
check "after the queue drains a request completes" drained
expect_error "metrics off" 501 not_supported_error "" "$(http_code -H "Authorization: Bearer $KEY" "$URL/metrics")"
stop_server "$LOG2"

summary
