#!/usr/bin/env bash
# Builds the native addon with clang's AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/
# (never into build/Release, which the normal build and the tests use). Sources, defines and include paths come
# from binding.gyp, so the sanitized addon is the same code. Used by scripts/test-asan.sh (npm run test:asan).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX="${ASAN_CXX:-clang++}"
OUT="${ASAN_OUT:-build-asan}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "build-asan: clang++ was not found; install it with: apt-get update && apt-get install -y clang" >&2
  exit 2
fi

# Node's headers: the ones node-gyp uses (npm_config_nodedir, as CI sets it), else next to this node binary.
NODE_INCLUDE=""
for dir in "${npm_config_nodedir:-}/include/node" "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node \
  "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  if [ -f "$dir/node_api.h" ]; then NODE_INCLUDE="$dir"; break; fi
done
if [ -z "$NODE_INCLUDE" ]; then
  echo "build-asan: Node's headers (node_api.h) were not found; run \`npx node-gyp install\` or set npm_config_nodedir" >&2
  exit 2
fi

read -r -a SOURCES <<<"$(node -p "JSON.parse(require('fs').readFileSync('binding.gyp','utf8')).targets[0].sources.join(' ')")"
read -r -a DEFINES <<<"$(node -p "JSON.parse(require('fs').readFileSync('binding.gyp','utf8')).targets[0].defines.map(d => '-D' + d).join(' ')")"
ADDON_API="$(node -p "require('node-addon-api').include_dir")"

mkdir -p "$OUT/obj"
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fPIC -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter
  -fsanitize=address,undefined -fno-sanitize-recover=undefined -shared-libasan
  -isystem "$NODE_INCLUDE" -isystem "$ADDON_API" "${DEFINES[@]}")
objects=()
pids=()
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(basename "${src%.cc}").o"
  objects+=("$obj")
  # Rebuilt when anything in native/ (headers included), binding.gyp or this script changed since.
  if [ ! -f "$obj" ] || [ -n "$(find native binding.gyp "$0" -newer "$obj" -print -quit)" ]; then
    "$CXX" "${FLAGS[@]}" -c "$src" -o "$obj" &
    pids+=($!)
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$CXX" -shared -fsanitize=address,undefined -shared-libasan "${objects[@]}" -o "$OUT/effect_oneagent.node"
echo "build-asan: $OUT/effect_oneagent.node ($("$CXX" --version | head -1))"
echo "build-asan: runtime $("$CXX" -print-file-name=libclang_rt.asan-x86_64.so)"
