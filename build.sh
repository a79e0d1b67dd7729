#!/usr/bin/env bash
# build.sh: install what is missing, build, then run the main job or the tests.
#   ./build.sh run    build (Release) and run the main job on the embedded default: axvk bench
#   ./build.sh test   build and run the whole test suite (with CI=true: also under ASan+UBSan,
#                     and each libFuzzer target for a bounded time)
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-run}

# Debian packages; "package:command" is skipped when the command exists already (a Node.js
# installed from elsewhere conflicts with Debian's nodejs/npm packages)
packages=(cmake make gcc pkg-config libvulkan-dev mesa-vulkan-drivers glslang-tools spirv-tools
          vulkan-validationlayers libcmocka-dev libcjson-dev libpcre2-dev libutf8proc-dev
          libmicrohttpd-dev clang libclang-rt-14-dev nodejs:node npm:npm curl python3)
missing=()
for entry in "${packages[@]}"; do
  p=${entry%%:*}
  cmd=${entry#*:}
  [ "$cmd" != "$entry" ] && command -v "$cmd" >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

jobs=$(nproc)
configure() { # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DAXVK_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

case "$mode" in
  run)
    configure build
    ./build/tools/axvk devices
    # tokens/s on the best device with the largest synthetic A.X model that fits (no download)
    ./build/tools/axvk bench
    ;;
  test)
    configure build
    ctest --test-dir build --output-on-failure -j"$jobs"
    if [ "${CI:-}" = "true" ] || [ "${AXVK_SANITIZE:-}" = "1" ]; then
      configure build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXVK_SANITIZE=ON
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=32 \
      LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"
      CC=clang configure build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXVK_FUZZ=ON \
        -DAXVK_FUZZ_SECONDS="${AXVK_FUZZ_SECONDS:-15}" -DBUILD_TESTING=ON
      ctest --test-dir build-fuzz --output-on-failure -L fuzz
    fi
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
