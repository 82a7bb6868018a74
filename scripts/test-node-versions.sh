#!/usr/bin/env bash
# The core tests under the other supported Node majors (22 and 26 besides the 24 of `npm test`), loading the same
# N-API prebuild from prebuilds/ (PREBUILDS_ONLY=1), as an installed package would. `npx -p node@<major>` fetches
# that Node from the npm registry the first time, then reuses it.
#
#   bash scripts/test-node-versions.sh            Node 22 and 26
#   NODE_MAJORS="22" bash scripts/test-node-versions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

MAJORS="${NODE_MAJORS:-22 26}"
# Everything in-process against the engine: tracers, families, Effect spans and effect/http, sampling, export
# configuration, transport and pipeline, bad input, properties and faults. Left to Node 24: packaging (it runs 22 and 26 itself), the browser test, the
# cluster test, and the slow leak test.
CORE=(
  test/OneAgentSdk.test.ts test/WebRequest.test.ts test/Database.test.ts test/Messaging.test.ts
  test/EffectSpans.test.ts test/Http.test.ts test/Logging.test.ts test/Sampler.test.ts test/OpenSpans.test.ts
  test/ExportConfig.test.ts test/transport.test.ts test/export.test.ts
  test/badInput.test.ts test/property.test.ts test/faults.test.ts
)
for major in $MAJORS; do
  started=$(date +%s)
  echo "node-versions: Node $(npx -y -p "node@$major" -- node -p process.version), prebuild $(ls prebuilds/*/*.node)"
  PREBUILDS_ONLY=1 npx -y -p "node@$major" -- node node_modules/vitest/vitest.mjs run "${CORE[@]}"
  echo "node-versions: Node $major passed in $(($(date +%s) - started)) s"
done
