#!/usr/bin/env bash
# Builds the libFuzzer harnesses in fuzz/ with clang (-fsanitize=fuzzer,address,undefined), straight from the
# engine sources in native/ (no Node, no N-API: fuzz/stubs/node_api.h stands in for the one header that needs it),
# then runs each harness for a bounded time over its seed corpus and prints executions per harness.
#
#   npm run fuzz                              every harness, 20 s each
#   FUZZ_SECONDS=120 npm run fuzz             longer
#   FUZZ_HARNESSES="encoder engine" npm run fuzz
#   FUZZ_JOBS=2 npm run fuzz                  harnesses in parallel (one core each)
#   FUZZ_SECONDS=5 FUZZ_JOBS=2 npm run fuzz   the bounded run CI makes (scripts/ci-native-checks.sh)
#   bash fuzz/run.sh build-fuzz/crash-...     reproduce: pass a crash file to run it through its harness
#
# New inputs go to build-fuzz/corpus/<harness>/ (not into the repository); crashes to build-fuzz/artifacts/.
# Exit status: non-zero when a harness crashed, leaked or failed a check.
set -euo pipefail
cd "$(dirname "$0")/.."

CXX="${FUZZ_CXX:-clang++}"
OUT="${FUZZ_OUT:-build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-20}"
JOBS="${FUZZ_JOBS:-1}"
ALL="traceparent binary_tag utf8 encoder engine"
HARNESSES="${FUZZ_HARNESSES:-$ALL}"

if ! command -v "$CXX" >/dev/null 2>&1; then
  cat >&2 <<'MSG'
fuzz: clang++ was not found. The harnesses need clang with libFuzzer and the sanitizer runtimes:
  Debian/Ubuntu:  apt-get update && apt-get install -y clang
                  (on Debian 12 libFuzzer comes with clang's runtime package libclang-rt-14-dev, pulled in by clang)
  Fedora:         dnf install clang compiler-rt
  macOS:          brew install llvm, then FUZZ_CXX=$(brew --prefix llvm)/bin/clang++ npm run fuzz
MSG
  exit 2
fi

mkdir -p "$OUT/artifacts"
probe="$OUT/.probe.cc"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe"
if ! "$CXX" -fsanitize=fuzzer,address,undefined "$probe" -o "$OUT/.probe" 2>"$OUT/.probe.log"; then
  echo "fuzz: $CXX cannot link -fsanitize=fuzzer (libFuzzer is missing):" >&2
  sed 's/^/  /' "$OUT/.probe.log" >&2
  echo "  install clang's runtime libraries: apt-get install -y clang libclang-rt-dev (or libclang-rt-<version>-dev)" >&2
  exit 2
fi

FLAGS=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
  -Wall -Wextra -Wno-unused-parameter -Ifuzz/stubs)

sources_of() {
  case "$1" in
    traceparent | binary_tag) echo native/tags.cc ;;
    utf8) echo "" ;;
    encoder) echo native/encoder.cc ;;
    engine) echo "native/engine.cc native/encoder.cc native/tags.cc" ;;
    *) echo "fuzz: unknown harness $1 (known: $ALL)" >&2; exit 2 ;;
  esac
}

build() {
  local h="$1"
  # shellcheck disable=SC2046
  "$CXX" "${FLAGS[@]}" "fuzz/fuzz_$h.cc" $(sources_of "$h") -o "$OUT/fuzz_$h"
}

# Reproduce mode: run the given crash files through the harness named in their file name.
if [ "$#" -gt 0 ]; then
  for file in "$@"; do
    h=$(basename "$file" | sed -E 's/^([a-z_]+)-(crash|leak|timeout|oom|slow-unit)-.*/\1/')
    build "$h"
    "$OUT/fuzz_$h" "$file"
  done
  exit 0
fi

echo "fuzz: building $HARNESSES with $("$CXX" --version | head -1)"
built_at=$(date +%s)
pids=()
for h in $HARNESSES; do
  build "$h" &
  pids+=($!)
done
broken=""
i=0
for h in $HARNESSES; do
  wait "${pids[$i]}" || broken="$broken $h"
  i=$((i + 1))
done
if [ -n "$broken" ]; then
  echo "fuzz: harness(es)$broken no longer build against native/ (errors above): update them in fuzz/ (sources in run.sh's sources_of)" >&2
  exit 1
fi
echo "fuzz: built in $(($(date +%s) - built_at)) s; running each for ${SECONDS_EACH} s (its whole seed corpus at least), $JOBS at a time"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

run() {
  local h="$1"
  mkdir -p "$OUT/corpus/$h" "fuzz/corpus/$h"
  # The first directory receives new inputs; the seed corpus in the repository is only read.
  "$OUT/fuzz_$h" "$OUT/corpus/$h" "fuzz/corpus/$h" \
    -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/$h-" >"$OUT/$h.log" 2>&1
}

status=0
summary="$OUT/summary.txt"
: >"$summary"
running=0
declare -A job
for h in $HARNESSES; do
  run "$h" &
  job[$h]=$!
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
printf '%-12s %12s %8s %10s %8s %s\n' harness execs seconds "execs/s" corpus result | tee -a "$summary"
for h in $HARNESSES; do
  result=ok
  wait "${job[$h]}" || result=FAILED
  execs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$OUT/$h.log" | grep -Eo '[0-9]+$' || echo 0)
  secs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$OUT/$h.log" | grep -Eo '[0-9]+ second' | grep -Eo '[0-9]+' || echo "$SECONDS_EACH")
  corpus=$(ls "$OUT/corpus/$h" | wc -l)
  rate=$((execs / (secs > 0 ? secs : 1)))
  if [ "$result" != ok ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ_CHECK failed' "$OUT/$h.log"; then
    result="FAILED (see $OUT/$h.log, $OUT/artifacts/)"
    status=1
  fi
  printf '%-12s %12s %8s %10s %8s %s\n' "$h" "$execs" "$secs" "$rate" "$corpus" "$result" | tee -a "$summary"
done
if [ "$status" -ne 0 ]; then
  for h in $HARNESSES; do
    grep -E -A12 'ERROR:|runtime error:|FUZZ_CHECK failed' "$OUT/$h.log" | head -40 || true
  done
fi
exit "$status"
