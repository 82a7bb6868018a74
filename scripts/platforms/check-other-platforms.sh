#!/usr/bin/env bash
# Proves the engine's sources compile for the platforms this machine cannot run, and that the results look right:
# cross-compiles darwin-x64, darwin-arm64 and win32-x64 with zig (prebuild-all.sh), then check-binary.mjs reads
# each one with Debian's llvm tools (Mach-O / PE, architecture, napi_register_module_v1 exported, Node-API imported
# from the host process and everything else only from libSystem / the Windows system DLLs). Nothing is shipped.
#
#   bash scripts/platforms/check-other-platforms.sh [--out DIR] [target...]   (DIR default: $PLATFORMS_CACHE/other)
#
# The sources need two stand-ins to compile there (scripts/platforms/compat/check-only/): getrandom() is Linux-only
# (darwin, win32), and clock_gettime() is missing from zig 0.11's MinGW (win32). Each file says what the real fix is.
# Cold: about 1.5 min per target (zig builds its libc++ for it); warm: under 1 min each when native/ changed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

OUT="$PLATFORMS_CACHE/other"
TARGETS=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(darwin-x64 darwin-arm64 win32-x64)

command -v llvm-readobj >/dev/null || ls /usr/bin/llvm-readobj-* >/dev/null 2>&1 || ensure_apt llvm
bash "$PLATFORMS_DIR/prebuild-all.sh" --out "$OUT" "${TARGETS[@]}"
