#!/usr/bin/env bash
# gpu-check.sh: every check that needs a real GPU, in one run of under 8 minutes on a large
# card (made for an NVIDIA H200 with a Vulkan driver): the GPU test suite, axvk bench on the
# synthetic A.X 4.0 Light at q4_k_m, q8_0 and f16, the op benchmarks, then one summary table.
#
#   tools/gpu-check.sh [BUILD_DIR]     default BUILD_DIR: build
#
# Uses BUILD_DIR as it is when it holds tools/axvk (a build made elsewhere works too: its
# configured paths are recreated as links), else configures and builds it (Release).
# Environment: GPU_CHECK_BUDGET total seconds (default 450), GPU_CHECK_OUT logs and JSON
# (default BUILD_DIR/gpu-check), GPU_CHECK_MODELS synthetic specs (default the three above),
# GPU_CHECK_BENCH_ARGS extra bench options (e.g. "-p 64 -n 16 -r 2" on a small device).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
build=${1:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
out=${GPU_CHECK_OUT:-$build/gpu-check}
budget=${GPU_CHECK_BUDGET:-450}
models=${GPU_CHECK_MODELS:-ax4-light:q4_k_m ax4-light:q8_0 ax4-light:f16}
start=$(date +%s)
summary=()

left() { echo $((budget - ($(date +%s) - start))); }
# Seconds for a step: at most $1, and never more than what the budget leaves after $2.
slice() {
  local s=$(( $(left) - $2 ))
  [ "$s" -gt "$1" ] && s=$1
  [ "$s" -lt 10 ] && s=10
  echo "$s"
}
row() { summary+=("| $1 | $2 | $3 |"); }

# A Vulkan loader and an ICD: containers often mount NVIDIA's ICD file outside the search path.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  echo "gpu-check: no libvulkan.so.1: install the Vulkan loader (libvulkan1)" >&2
  exit 1
fi
nv_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nv_icd" ] &&
   ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$nv_icd
fi

# The build: reuse, relocate, or make.
if [ -x "$build/tools/axvk" ] && [ -f "$build/CMakeCache.txt" ]; then
  # a tree configured at another path keeps absolute paths (tests, ctest files): link them
  for key in CMAKE_CACHEFILE_DIR CMAKE_HOME_DIRECTORY; do
    was=$(sed -n "s/^$key:INTERNAL=//p" "$build/CMakeCache.txt")
    now=$([ "$key" = CMAKE_CACHEFILE_DIR ] && echo "$build" || echo "$root")
    if [ -n "$was" ] && [ ! -e "$was" ] && mkdir -p "$(dirname "$was")" 2>/dev/null &&
       ln -s "$now" "$was" 2>/dev/null; then
      echo "gpu-check: linked $was -> $now (the build was configured there)" >&2
    fi
  done
  was_shared="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")/../shared"
  [ ! -e "$was_shared" ] && [ -d "$root/shared" ] && ln -s "$root/shared" "$was_shared" 2>/dev/null
else
  if ! command -v cmake >/dev/null || ! command -v glslangValidator >/dev/null; then
    echo "gpu-check: no build in $build and no cmake/glslang to make one: run ./build.sh once" >&2
    exit 1
  fi
  t0=$(date +%s)
  if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
     ! cmake --build "$build" -j"$(nproc)" >/dev/null; then
    echo "gpu-check: build failed" >&2
    exit 1
  fi
  row "build (Release)" "ok" $(( $(date +%s) - t0 ))
fi
axvk=$build/tools/axvk
mkdir -p "$out"
"$axvk" devices | tee "$out/devices.txt" >&2

# 1. the GPU test suite (every GPU test is sized to run on lavapipe; here all run as they are)
t0=$(date +%s)
if command -v ctest >/dev/null; then
  timeout "$(slice 240 200)" ctest --test-dir "$build" -L gpu -j4 --timeout 200 \
    --output-on-failure >"$out/ctest.log" 2>&1
  rc=$?
  tests=$(grep -E 'tests passed|tests failed' "$out/ctest.log" | tail -n 1)
  skipped=$(grep -c '\*\*\*Skipped' "$out/ctest.log")
  [ $rc -eq 124 ] && tests="timed out: ${tests:-no summary}"
  row "ctest -L gpu" "${tests:-rc $rc}, $skipped skipped (log: $out/ctest.log)" \
    $(( $(date +%s) - t0 ))
else
  # no ctest on this machine: run the executables the test files label gpu, with their env
  pass=0 fail=0 skip=0
  : >"$out/ctest.log"
  tf=$build/tests/CTestTestfile.cmake
  grep -o 'set_tests_properties(\[=\[[a-z0-9_]*\]=\] PROPERTIES.*LABELS "gpu"' "$tf" |
  while read -r line; do
    name=$(sed 's/.*(\[=\[\([a-z0-9_]*\)\]=\].*/\1/' <<<"$line")
    env=$(sed -n 's/.*ENVIRONMENT "\([^"]*\)".*/\1/p' <<<"$line" | tr ';' ' ')
    # the command and its arguments: the quoted words of the test's add_test line
    mapfile -t cmd < <(grep "^add_test(\[=\[$name\]=\] " "$tf" | grep -o '"[^"]*"' | tr -d '"')
    echo "== $name" >>"$out/ctest.log"
    # shellcheck disable=SC2086 # $env is a list of VAR=value words
    (cd "$build/tests" && env $env timeout 200 "${cmd[@]}") >>"$out/ctest.log" 2>&1
    echo "$name $?"
  done >"$out/tests.txt"
  while read -r name rc; do
    case $rc in 0) pass=$((pass + 1)) ;; 77) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
  done <"$out/tests.txt"
  row "GPU tests (no ctest: run directly)" "$pass passed, $fail failed, $skip skipped" \
    $(( $(date +%s) - t0 ))
fi

# 2. axvk bench on the synthetic models: one table, JSON kept for the summary
t0=$(date +%s)
args=()
for m in $models; do args+=(--synthetic "$m"); done
# shellcheck disable=SC2086
timeout "$(slice 150 100)" "$axvk" bench "${args[@]}" ${GPU_CHECK_BENCH_ARGS:-} -o json \
  --plot "$out/bench.svg" >"$out/bench.json" 2>"$out/bench.log"
rc=$?
row "axvk bench ${models// /, }" "$([ $rc -eq 0 ] && echo ok || echo "rc $rc (log: $out/bench.log)")" \
  $(( $(date +%s) - t0 ))

# 3. the op benchmarks (rows are printed as they finish: a timeout keeps what ran)
t0=$(date +%s)
timeout "$(slice 120 15)" "$axvk" bench-ops >"$out/bench-ops.txt" 2>&1
rc=$?
case $rc in 0) result=ok ;; 124) result="timed out, partial" ;; *) result="rc $rc" ;; esac
row "axvk bench-ops" "$result; $(grep -c . "$out/bench-ops.txt") lines (log: $out/bench-ops.txt)" \
  $(( $(date +%s) - t0 ))

# The summary: one table, the checks and then each benchmark row.
echo
cat "$out/bench-ops.txt"
echo
echo "| check | result | seconds |"
echo "| --- | --- | ---: |"
printf '%s\n' "${summary[@]}"
if command -v python3 >/dev/null && [ -s "$out/bench.json" ]; then
  python3 - "$out/bench.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1])):
    res = f"{r['avg_ts']:.2f} ± {r['stddev_ts']:.2f} t/s"
    if r["bandwidth_gbps"]:
        res += (f", {r['bandwidth_gbps']:.1f} GB/s = {r['bandwidth_pct_copy']:.0f}% of the"
                f" {r['copy_gbps']:.1f} GB/s copy bandwidth")
    print(f"| bench {r['model_type']} {r['test']} on {r['device_name']} "
          f"({r['driver_name']} {r['driver_version']}) | {res} | {r['avg_ns'] / 1e9:.3f} |")
PY
fi
echo
echo "gpu-check: $(( $(date +%s) - start )) s; logs in $out"
