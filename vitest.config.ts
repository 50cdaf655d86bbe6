import { defineConfig } from "vitest/config";

/**
 * Test tiers. `npm test` runs `unit` (no external service, no network); `npm run test:services` needs the
 * PostgreSQL and Redis of BATON_TEST_POSTGRES_URL / BATON_TEST_REDIS_URL; `browser` needs Debian's chromium;
 * `fuzz` (`npm run test:fuzz`) runs the fast-check suite, BATON_FUZZ_RUNS cases per property; `faults`
 * (`npm run test:faults`) needs the PostgreSQL of BATON_TEST_POSTGRES_URL and proves delivery under 8x8
 * faults, a crash and an outage (BATON_FAULTS_MESSAGES each way).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "test/unit/**/*.test.ts",
            "test/core/**/*.test.ts",
            "test/contracts/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "simulator/**/*.test.ts",
            "web/webchat/test/**/*.test.ts",
            "web/copilot/test/**/*.test.ts",
          ],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "services",
          include: ["test/services/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "fuzz",
          include: ["test/fuzz/**/*.fuzz.test.ts"],
          globalSetup: ["test/fuzz/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "faults",
          include: ["test/faults/**/*.faults.test.ts"],
          // Child processes, a crash and an outage, up to BATON_FAULTS_MESSAGES each way: one file at a time.
          testTimeout: 900_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
