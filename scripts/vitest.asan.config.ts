// `npm run test:asan`: the normal test configuration, with the addon swapped for its ASan+UBSan build.
import { defineConfig, mergeConfig } from "vitest/config"
import base from "../vitest.config.ts"

export default mergeConfig(
  base,
  defineConfig({
    test: {
      setupFiles: ["scripts/asan-setup.ts"],
      // Sanitized code is slower; the library's own deadlines are not what is under test here.
      testTimeout: 120_000,
      hookTimeout: 120_000
    }
  })
)
