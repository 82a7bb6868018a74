#!/usr/bin/env bash
# Bun and Deno (linux-x64, glibc, from the npm registry) run the library as a user would, and trace: .ci/run calls
# this, and it exits 1 if any run below does not show what it must.
#
#   bash scripts/platforms/other-runtimes.sh [--prebuilds DIR] [--tarball FILE]
#
#   bun examples/main.ts                           the native prebuild (Bun implements Node-API)
#   bun smoke.mjs <glibc prebuild>                  every tracer family, exported to a file and over OTLP/HTTP
#   deno run --allow-all examples/main.ts           the native prebuild
#   deno run --allow-all smoke.mjs <prebuild>       as for Bun
#   deno run --allow-env --allow-read --allow-sys   no --allow-ffi: the WebAssembly engine, InitResult 0
#   deno run (no permission at all)                 the WebAssembly engine; the environment cannot be read, so the
#                                                   export falls back to its defaults and says so (status 1)
#   with --tarball (what `npm pack` made): bun and deno run the smoke test in a project that installed the package
#   with install scripts off; the package's loader must choose the glibc prebuild by itself
#
# Runtimes come from the npm registry (bun: @oven/bun-linux-x64, deno: @deno/linux-x64-glibc), cached as in lib.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PREBUILDS="$PLATFORMS_ROOT/prebuilds"
TARBALL=""
while [ $# -gt 0 ]; do
  case $1 in
    --prebuilds) PREBUILDS=$(cd "$2" && pwd); shift 2 ;;
    --tarball) TARBALL=$(realpath "$2"); shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
BUN="$(npm_unpack "@oven/bun-linux-x64@$BUN_VERSION" package/bin/bun package/package.json)/bin/bun"
DENO="$(npm_unpack "@deno/linux-x64-glibc@$DENO_VERSION")/deno"
export DENO_DIR="$PLATFORMS_CACHE/deno-dir" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
SMOKE="$PLATFORMS_ROOT/test/fixtures/platforms/smoke.mjs"
PREBUILD="$PREBUILDS/linux-x64/effect-oneagent.glibc.node"
WORK=$(mktemp -d)
RECEIVER_PID=""
trap '[ -z "$RECEIVER_PID" ] || kill $RECEIVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
start_receiver "$WORK" "$(dirname "$SMOKE")"
# The examples write their traces file into the working directory: a copy of nothing but what they need.
APP="$WORK/app"
mkdir -p "$APP"
ln -s "$PLATFORMS_ROOT/src" "$PLATFORMS_ROOT/examples" "$PLATFORMS_ROOT/node_modules" "$PLATFORMS_ROOT/package.json" \
  "$PLATFORMS_ROOT/prebuilds" "$APP/"
[ -d "$PLATFORMS_ROOT/build" ] && ln -s "$PLATFORMS_ROOT/build" "$APP/"
cd "$APP"

passed=0
failed=0
# check <what> <pattern...> -- <command...>: runs the command; every pattern (grep -E) must be in its output.
check() {
  local what=$1 patterns=() output
  shift
  while [ "$1" != -- ]; do patterns+=("$1"); shift; done
  shift
  output=$(timeout 120 "$@" </dev/null 2>&1) || { log "FAIL $what: exit $?"; echo "$output" | tail -n 20 >&2; failed=$((failed + 1)); return; }
  for pattern in "${patterns[@]}"; do
    if ! grep -qE -- "$pattern" <<<"$output"; then
      log "FAIL $what: no \"$pattern\" in its output:"
      echo "$output" | grep -v '^\s*at ' | tail -n 20 >&2
      failed=$((failed + 1))
      return
    fi
  done
  log "ok   $what"
  passed=$((passed + 1))
}

native='InitResult: \{"status":0\}, version [0-9.]+/[0-9.]+$'
wasm='InitResult: \{"status":0\}, version [0-9.]+/[0-9.]+ \(wasm\)'
traced='Orders/placeOrder \[server\]'
check "bun $("$BUN" --version) examples/main.ts" "$native" "$traced" -- "$BUN" examples/main.ts
check "bun smoke" "^platform-smoke: ok bun" -- "$BUN" "$SMOKE" "$PREBUILD" "$WORK/bun.jsonl" "$PORT" "$APP/src/index.ts"
check "deno run --allow-all examples/main.ts" "$native" "$traced" -- "$DENO" run --allow-all examples/main.ts
check "deno smoke" "^platform-smoke: ok deno" -- \
  "$DENO" run --allow-all "$SMOKE" "$PREBUILD" "$WORK/deno.jsonl" "$PORT" "$APP/src/index.ts"
check "deno run --allow-env --allow-read --allow-sys (no ffi) examples/main.ts" "$wasm" "$traced" -- \
  "$DENO" run --allow-env --allow-read --allow-sys --allow-write examples/main.ts
check "deno run (no permission) examples/main.ts" 'InitResult: \{"status":1,"error":"export: the options or the environment could not be read \(NotCapable\).*\(wasm\)' "$traced" -- \
  "$DENO" run --no-prompt examples/main.ts
if [ -n "$TARBALL" ]; then
  PROJECT="$WORK/project"
  install_package "$PROJECT" "$TARBALL"
  installed="loader:$PROJECT/node_modules/effect-oneagent/prebuilds/linux-x64/effect-oneagent.glibc.node"
  check "bun smoke, installed package" "^platform-smoke: ok bun" -- \
    "$BUN" "$PROJECT/smoke.mjs" "$installed" "$WORK/bun-package.jsonl" "$PORT" effect-oneagent
  check "deno smoke, installed package" "^platform-smoke: ok deno" -- \
    "$DENO" run --allow-all "$PROJECT/smoke.mjs" "$installed" "$WORK/deno-package.jsonl" "$PORT" effect-oneagent
fi
log "other runtimes: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
