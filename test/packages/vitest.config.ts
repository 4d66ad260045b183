/**
 * `npm run test:packages`: the packaging test alone. It packs both packages and installs them into
 * scratch projects (tens of seconds, network-free with a warm npm cache), so it is not part of the
 * default `vitest run`, whose pattern (*.test.ts) its name (*.package-test.ts) does not match.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/packages/**/*.package-test.ts"],
    pool: "forks",
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
