#!/usr/bin/env bash
# `npm run test:asan`: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (scripts/build-asan.sh)
# and runs the test suite against it. Node itself is not instrumented: the ASan runtime is preloaded, leak
# detection is off (Node does not free everything at exit by design) and every report, from any process the tests
# start, goes to build-asan/reports/. The run fails on a test failure or on any sanitizer report.
#
#   npm run test:asan                          the default set (below)
#   npm run test:asan -- test/faults.test.ts   chosen files (vitest arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

bash scripts/build-asan.sh
RUNTIME="$(clang++ -print-file-name=libclang_rt.asan-x86_64.so)"
if [ ! -f "$RUNTIME" ]; then
  echo "test:asan: the ASan runtime ($RUNTIME) is missing: apt-get install -y clang (libclang-rt-*-dev)" >&2
  exit 2
fi
REPORTS="$PWD/build-asan/reports"
rm -rf "$REPORTS"
mkdir -p "$REPORTS"

# Everything that loads the addon in the test process. Left out: packaging and cluster (their processes load the
# addon themselves, unsanitized: npm pack and installs, other Node versions, cluster workers), the browser test
# (Chromium would inherit the preloaded runtime) and the slow leak test (ASan's quarantine holds freed memory on
# purpose, so RSS bounds do not apply).
FILES=("$@")
if [ "${#FILES[@]}" -eq 0 ]; then
  mapfile -t FILES < <(ls test/*.test.ts | grep -v -e packaging.test.ts -e browser.test.ts -e cluster.test.ts)
fi

export ONEAGENT_ASAN_ADDON="$PWD/build-asan/effect_oneagent.node"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$REPORTS/asan:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$REPORTS/ubsan"
status=0
started=$(date +%s)
LD_PRELOAD="$RUNTIME" vitest run --config scripts/vitest.asan.config.ts "${FILES[@]}" || status=$?
echo "test:asan: ${#FILES[@]} test files in $(($(date +%s) - started)) s against $ONEAGENT_ASAN_ADDON"

if compgen -G "$REPORTS/*" >/dev/null; then
  echo "test:asan: sanitizer reports:" >&2
  for report in "$REPORTS"/*; do
    echo "---- $report" >&2
    head -60 "$report" >&2
  done
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "test:asan: tests failed (exit $status); no sanitizer report" >&2
  exit "$status"
fi
echo "test:asan: no AddressSanitizer / UndefinedBehaviorSanitizer reports"
