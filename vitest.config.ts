import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "models/**/*.test.ts",
      "server/**/*.test.ts",
      "client/**/*.test.ts",
      "cli/**/*.test.ts",
      "test/**/*.test.ts",
      "ui/**/*.test.ts",
    ],
    // Each file in its own process: onnxruntime sessions and worker threads must not leak
    // between files, and ORT's spinning intra-op threads would skew each other.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
