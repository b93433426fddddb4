import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Native addons are not safe in worker threads; forks is vitest's default, kept explicit.
    pool: "forks",
    testTimeout: 30_000,
  },
});
