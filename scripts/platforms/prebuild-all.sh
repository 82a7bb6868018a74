#!/usr/bin/env bash
# Cross-compiles the native engine with zig into the prebuilds the loader (src/internal/addon.ts) picks, on this one Linux x64 machine:
#
#   bash scripts/platforms/prebuild-all.sh [--out DIR] [target...]
#
#   linux-x64-glibc    -> DIR/linux-x64/effect-oneagent.glibc.node     x86_64-linux-gnu.2.17
#   linux-x64-musl     -> DIR/linux-x64/effect-oneagent.musl.node      x86_64-linux-musl
#   linux-arm64-glibc  -> DIR/linux-arm64/effect-oneagent.glibc.node   aarch64-linux-gnu.2.17
#   linux-arm64-musl   -> DIR/linux-arm64/effect-oneagent.musl.node    aarch64-linux-musl
#   darwin-x64, darwin-arm64, win32-x64 -> DIR/<target>/effect-oneagent.node  (compile checks: not shipped, they
#                         cannot run here; scripts/platforms/check-other-platforms.sh builds and inspects them)
#
# DIR defaults to prebuilds/; the default targets are the four Linux ones. Every native/*.cc that exists is compiled
# (no list to keep in step), with binding.gyp's defines and flags, -DENGINE_SOURCE_HASH="<sha256 of native/>" (see
# lib.sh), libc++/libc++abi/libunwind linked statically (no libstdc++.so at run time), stripped, and only the two
# Node-API entry points exported (a version script), so the static C++ runtime cannot be interposed by the host's.
# glibc targets link against glibc 2.17's symbol set, plus compat/glibc-2.17.c for the two newer symbols the
# engine needs. Each output is then checked by check-binary.mjs.
# Cold (zig fetched, its libc++ built per target): about 1 min per target on 2 cores; warm: about 40 s per target.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

OUT="$PLATFORMS_ROOT/prebuilds"
TARGETS=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(linux-x64-glibc linux-x64-musl linux-arm64-glibc linux-arm64-musl)

ensure_zig
command -v readelf >/dev/null || ensure_apt binutils # check-binary.mjs reads ELF with it
cd "$PLATFORMS_ROOT"
HOST_NODE=$(host_node)
NAPI_INCLUDE=$("$HOST_NODE" -p "require('node-addon-api').include_dir")
NODE_INC=$(node_include)
HASH=$(engine_source_hash)
mapfile -t SOURCES < <(native_sources)
[ ${#SOURCES[@]} -gt 0 ] || die "no native/*.cc"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

COMMON=(
  -std=c++20 -O3 -fPIC -fvisibility=hidden -fexceptions
  -Wall -Wextra -Wno-unused-parameter
  -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED
  "-DENGINE_SOURCE_HASH=\"$HASH\""
  -I "$NAPI_INCLUDE" -I "$NODE_INC"
)

# ELF: export the Node-API entry points only; everything else (libc++, libunwind) stays local to the module.
cat >"$WORK/exports.map" <<'EOF'
{ global: napi_register_module_v1; node_api_module_get_api_version_v1; local: *; };
EOF

# Windows: node.exe exports Node-API; an import library for it is built from every napi_*/node_api_* function
# that Node's headers declare.
node_import_lib() {
  local lib="$WORK/node.lib"
  [ -f "$lib" ] && echo "$lib" && return
  "$HOST_NODE" -e '
    const fs = require("fs")
    const names = new Set()
    for (const h of ["js_native_api.h", "node_api.h"]) {
      const text = fs.readFileSync(process.argv[1] + "/" + h, "utf8")
      for (const m of text.matchAll(/NAPI_EXTERN[^;{]*?\b((?:napi|node_api)_\w+)\s*\(/g)) names.add(m[1])
    }
    console.log("LIBRARY node.exe\nEXPORTS\n" + [...names].sort().join("\n"))
  ' "$NODE_INC" >"$WORK/node.def"
  "$ZIG" dlltool -d "$WORK/node.def" -l "$lib" -m i386:x86-64 -D node.exe || die "zig dlltool failed"
  echo "$lib"
}

build() {
  local target=$1 triple file extra=() objs=()
  case $target in
    linux-x64-glibc) triple=x86_64-linux-gnu.2.17 file=linux-x64/effect-oneagent.glibc.node ;;
    linux-x64-musl) triple=x86_64-linux-musl file=linux-x64/effect-oneagent.musl.node ;;
    linux-arm64-glibc) triple=aarch64-linux-gnu.2.17 file=linux-arm64/effect-oneagent.glibc.node ;;
    linux-arm64-musl) triple=aarch64-linux-musl file=linux-arm64/effect-oneagent.musl.node ;;
    darwin-x64) triple=x86_64-macos.11.0 file=darwin-x64/effect-oneagent.node ;;
    darwin-arm64) triple=aarch64-macos.11.0 file=darwin-arm64/effect-oneagent.node ;;
    win32-x64) triple=x86_64-windows-gnu file=win32-x64/effect-oneagent.node ;;
    *) die "unknown target $target" ;;
  esac
  case $target in
    linux-*-glibc)
      # getrandom (2.25) and __cxa_thread_atexit_impl (2.18) for glibc 2.17: see compat/glibc-2.17.c.
      "$ZIG" cc -target "$triple" -O2 -fPIC -Wall -c "$PLATFORMS_DIR/compat/glibc-2.17.c" -o "$WORK/compat-$target.o"
      objs=("$WORK/compat-$target.o")
      extra=(-s "-Wl,--version-script=$WORK/exports.map") ;;
    linux-*) extra=(-s "-Wl,--version-script=$WORK/exports.map") ;;
    # darwin and win32 are compile checks: native/ids.h calls Linux's getrandom(), so compat/check-only/ stands in
    # for <sys/random.h> there (see that file); everything else compiles as is.
    darwin-*) extra=(-s -Wl,-undefined,dynamic_lookup -Wl,-install_name,effect-oneagent.node -I "$PLATFORMS_DIR/compat/check-only") ;;
    win32-*) extra=(-s -I "$PLATFORMS_DIR/compat/check-only" -include "$PLATFORMS_DIR/compat/check-only/win32-clock.h"
      "$(node_import_lib)" -ladvapi32) ;;
  esac
  local out="$OUT/$file" started=$SECONDS
  mkdir -p "$(dirname "$out")"
  log "building $target ($triple, ${#SOURCES[@]} sources)"
  # One zig process at a time: it compiles the sources on all cores itself.
  # zig's first build of its libc/libc++ for a target is noisy: its output is shown in full only on failure, else
  # just the diagnostics about the engine's own sources.
  if ! "$ZIG" c++ -target "$triple" -shared "${COMMON[@]}" "${SOURCES[@]}" "${objs[@]}" "${extra[@]}" \
    -o "$WORK/out-$target" >"$WORK/log-$target" 2>&1; then
    cat "$WORK/log-$target" >&2
    die "building $target failed"
  fi
  grep -A3 -E '^(native/|[^ ]*/native/)[^:]+:[0-9]+:[0-9]+: (warning|error)' "$WORK/log-$target" >&2 || true
  mv "$WORK/out-$target" "$out"
  log "built $file ($(stat -c %s "$out") bytes, $((SECONDS - started)) s)"
  "$HOST_NODE" "$PLATFORMS_DIR/check-binary.mjs" "$target" "$out"
}

for target in "${TARGETS[@]}"; do build "$target"; done
log "engine source hash $HASH"
