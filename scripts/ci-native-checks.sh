#!/usr/bin/env bash
# CI: the native engine's sanitizer checks, bounded so they fit in every CI run.
#   1. Every libFuzzer harness (fuzz/run.sh) is built against the current native/ sources, replays its whole seed
#      corpus (fuzz/corpus: every input that once failed) and fuzzes for CI_FUZZ_SECONDS (default 5) more. A harness
#      that fell behind the engine (an API it no longer compiles against, a field the encoder writes that its
#      decoders do not know) fails CI here instead of in the next manual `npm run fuzz`.
#   2. The test suite against the ASan/UBSan build of the addon (scripts/test-asan.sh), unless CI_ASAN=0.
# clang with libFuzzer and the sanitizer runtimes is installed first when missing (scripts/install-clang.sh).
#
#   bash scripts/ci-native-checks.sh
#   CI_FUZZ_SECONDS=30 bash scripts/ci-native-checks.sh
#   CI_ASAN=0 bash scripts/ci-native-checks.sh        the fuzz harnesses only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

bash scripts/install-clang.sh

started=$(date +%s)
# One harness per core; the build compiles all five at once anyway.
FUZZ_SECONDS="${CI_FUZZ_SECONDS:-5}" FUZZ_JOBS="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}" bash fuzz/run.sh
echo "ci-native-checks: fuzz harnesses done in $(($(date +%s) - started)) s"

if [ "${CI_ASAN:-1}" != 0 ]; then
  started=$(date +%s)
  bash scripts/test-asan.sh
  echo "ci-native-checks: ASan/UBSan test suite done in $(($(date +%s) - started)) s"
fi
