import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Production layers in tests write the default OTLP/JSON file here, not into the working tree.
    env: { ONEAGENT_TRACES_FILE: join(tmpdir(), `effect-oneagent-test-${process.pid}.jsonl`) }
  }
})
