#!/usr/bin/env bash
# Installs Debian's clang with libFuzzer and the sanitizer runtimes (for `npm run fuzz` and `npm run test:asan`) if
# they are missing. Idempotent: exits at once when clang++ already links -fsanitize=fuzzer,address,undefined.
# Exit codes: 0 ready (installed, or already there), 1 it cannot be installed here.
set -euo pipefail

CXX="${FUZZ_CXX:-clang++}"

# Whether $CXX links a fuzz target with ASan and UBSan: clang itself and its runtime package (libclang-rt-*-dev).
ready() {
  command -v "$CXX" >/dev/null 2>&1 || return 1
  local dir ok=1
  dir="$(mktemp -d)"
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$dir/probe.cc"
  if "$CXX" -fsanitize=fuzzer,address,undefined "$dir/probe.cc" -o "$dir/probe" >/dev/null 2>&1; then ok=0; fi
  rm -rf "$dir"
  return "$ok"
}

if ready; then
  echo "clang: ready ($("$CXX" --version | head -1))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "clang: $CXX cannot build the fuzz harnesses and apt-get was not found; install clang with libFuzzer and the" >&2
  echo "  sanitizer runtimes yourself (fuzz/run.sh says how)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "clang: not root and no passwordless sudo; cannot apt-get install clang" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "clang: installing Debian's clang and its sanitizer runtimes"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends clang >/dev/null
# libFuzzer and the ASan/UBSan runtimes come with libclang-rt-<major>-dev (pulled in by clang on some releases only).
major="$(clang++ --version | grep -oE 'version [0-9]+' | grep -oE '[0-9]+' | head -1)"
if ! ready && [ -n "$major" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "libclang-rt-$major-dev" >/dev/null
fi
# Symbolized stack traces in sanitizer reports (best effort: the reports are usable without it).
if ! command -v llvm-symbolizer >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends llvm >/dev/null 2>&1 || true
fi

if ready; then
  echo "clang: installed ($("$CXX" --version | head -1))"
  exit 0
fi
echo "clang: apt-get finished but $CXX still cannot link -fsanitize=fuzzer,address,undefined" >&2
exit 1
