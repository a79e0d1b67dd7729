#!/usr/bin/env bash
# coopmat-check.sh: checks the cooperative-matrix prefill matmul (shaders/matmul_coopmat.comp)
# without a GPU. Debian 12's glslang cannot compile it and its lavapipe has no
# VK_KHR_cooperative_matrix; Debian sid's glslang, spirv-val, validation layers, Vulkan loader and
# Mesa lavapipe (which lists 8x8x8 f16 shapes) can. This fetches those packages and their
# libraries (sid's glibc included) from Debian's archive into DIR, unpacks them there (nothing is
# installed system-wide: every sid program, and every test, runs through sid's own dynamic
# loader), builds axvk with the sid shader tools (AXVK_COOPMAT_SPV ON) and runs on sid's
# lavapipe, validation layer on: test_kernels_matmul (coopmat against the reference for every
# weight type; none of its coopmat tests may skip), the same with coopmat disabled, test_model
# (which pins fp32 numerics and so turns coopmat off itself) and test_model_synth (whole models,
# prefill through coopmat, against the reference within the quantized bounds).
#
#   tools/coopmat-check.sh DIR [BUILD_DIR]     default BUILD_DIR: DIR/build
#
# Needs Debian's archive reachable (MIRROR, default http://deb.debian.org/debian), dpkg-deb, xz,
# curl, cmake and the usual build dependencies. Downloads (~80 MB) are kept in DIR for reruns.
# Not run by CI. Exits non-zero when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
[ $# -ge 1 ] || { echo "usage: $0 DIR [BUILD_DIR]" >&2; exit 2; }
mkdir -p "$1"
dir=$(cd "$1" && pwd)
build=${2:-$dir/build}
mirror=${MIRROR:-http://deb.debian.org/debian}
root=$dir/root
lib=$root/usr/lib/x86_64-linux-gnu
start=$(date +%s)
step() { echo "== $(( $(date +%s) - start ))s: $*"; }

# 1. The packages and everything they depend on (first alternative of each dependency; the
#    essential tools dpkg itself needs are left out: nothing here runs maintainer scripts).
roots="mesa-vulkan-drivers libvulkan1 glslang-tools spirv-tools vulkan-validationlayers"
skip="debconf debconf-2.0 perl-base dpkg install-info libc-bin"
step "package index"
if [ ! -s "$dir/Packages" ]; then
  curl -sSf -o "$dir/Packages.xz" "$mirror/dists/sid/main/binary-amd64/Packages.xz"
  xz -dc "$dir/Packages.xz" > "$dir/Packages.tmp" && mv "$dir/Packages.tmp" "$dir/Packages"
fi
awk -v ROOTS="$roots" -v SKIP="$skip" '
  BEGIN { n = split(ROOTS, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1
          n = split(SKIP, s, " "); for (i = 1; i <= n; i++) skip[s[i]] = 1 }
  /^Package: / { pkg = $2 }
  /^Provides: / { n = split(substr($0, 11), pv, ",")
                  for (i = 1; i <= n; i++) { v = pv[i]; gsub(/^ +| +$/, "", v); sub(/ .*/, "", v)
                                             if (!(v in prov)) prov[v] = pkg } }
  /^(Pre-)?Depends: / { line = $0; sub(/^[^:]*: /, "", line); deps[pkg] = deps[pkg] "," line }
  /^Filename: / { file[pkg] = $2 }
  END {
    for (changed = 1; changed; ) {
      changed = 0
      for (p in want) {
        if (done[p]) continue
        done[p] = changed = 1
        if (!(p in file) && (p in prov)) { want[prov[p]] = 1; continue }
        if (!(p in file)) { print "no package " p > "/dev/stderr"; bad = 1; continue }
        n = split(deps[p], d, ",")
        for (i = 1; i <= n; i++) {
          x = d[i]; sub(/\|.*/, "", x); sub(/\(.*/, "", x); gsub(/ /, "", x); sub(/:any$/, "", x)
          if (x != "" && !(x in skip)) want[x] = 1
        }
      }
    }
    for (p in want) if (p in file) print p, file[p]
    exit bad
  }' "$dir/Packages" | sort > "$dir/packages.txt"
step "fetching and unpacking $(wc -l < "$dir/packages.txt") packages"
mkdir -p "$dir/debs"
while read -r name path; do
  deb=$dir/debs/${path##*/}
  if [ ! -s "$deb" ]; then
    curl -sSf -o "$deb.tmp" "$mirror/$path" || { echo "cannot fetch $name" >&2; exit 1; }
    mv "$deb.tmp" "$deb"
  fi
  dpkg-deb -x "$deb" "$root"
done < "$dir/packages.txt"

# 2. Absolute paths for the ICD and the layer, and wrappers that run sid programs.
loader=$root/usr/lib64/ld-linux-x86-64.so.2
[ -x "$loader" ] || loader=$lib/ld-linux-x86-64.so.2
mkdir -p "$dir/etc/layers" "$dir/bin"
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" \
  "$root/usr/share/vulkan/icd.d/lvp_icd.json" > "$dir/etc/lvp_icd.json"
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libVkLayer_khronos_validation.so\"#" \
  "$root/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json" \
  > "$dir/etc/layers/VkLayer_khronos_validation.json"
for tool in glslangValidator spirv-val; do
  printf '#!/bin/sh\nexec "%s" --library-path "%s" "%s" "$@"\n' "$loader" "$lib" \
    "$root/usr/bin/$tool" > "$dir/bin/$tool"
  chmod +x "$dir/bin/$tool"
done
# RUN_ENV: extra VAR=value words for the program's environment
run() {
  env VK_ICD_FILENAMES="$dir/etc/lvp_icd.json" VK_LAYER_PATH="$dir/etc/layers" ${RUN_ENV:-} \
    "$loader" --library-path "$lib" "$@"
}
"$dir/bin/glslangValidator" --version | head -1

# 3. Build with the sid shader tools; the probe must turn the coopmat variants on.
step "configure and build $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -UAXVK_COOPMAT_SPV \
  -DGLSLANG_VALIDATOR="$dir/bin/glslangValidator" -DSPIRV_VAL="$dir/bin/spirv-val" > "$dir/cmake.log"
grep -q 'cooperative-matrix shader variants: ON' "$dir/cmake.log" ||
  { echo "the sid shader tools do not compile the coopmat probe" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" --target axvk test_kernels_matmul test_model test_model_synth \
  > "$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }

# 4. The device must list cooperative matrices.
run "$build/tools/axvk" devices | tee "$dir/devices.txt" | grep -E 'llvmpipe|driver|subgroup|coopmat|^ {20,}[0-9]'
grep -q 'coopmat shapes' "$dir/devices.txt" || { echo "sid lavapipe lists no coopmat" >&2; exit 1; }

# 5. The tests, each through sid's loader; a skip is a failure here.
fails=0
# check NAME SKIPS_OK PROGRAM...: SKIPS_OK 0 fails the check when a coopmat test skipped
check() {
  local name=$1 skips_ok=$2 log=$dir/$1.log t0
  shift 2
  t0=$(date +%s)
  if (cd "$build/tests" && run "$@") > "$log" 2>&1; then
    if [ "$skips_ok" = 0 ] && grep -q 'SKIPPED \] test_matmul_coopmat' "$log"; then
      echo "FAIL $name: coopmat tests skipped"; fails=$((fails + 1))
    else
      echo "ok   $name ($(( $(date +%s) - t0 ))s)"
    fi
  else
    echo "FAIL $name (exit $?, log $log)"; grep -E 'FAILED|ERROR|error' "$log" | head -20
    fails=$((fails + 1))
  fi
}
step "tests on sid lavapipe, validation on"
export AXVK_VALIDATION=1
check test_kernels_matmul 0 ./test_kernels_matmul
grep -m1 'matmul kernel on this device' "$dir/test_kernels_matmul.log" || true
RUN_ENV=AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control \
  check test_kernels_matmul_fallback 1 ./test_kernels_matmul
check test_model 1 ./test_model
check test_model_synth 1 ./test_model_synth
step "done: $fails failed"
[ "$fails" -eq 0 ]
