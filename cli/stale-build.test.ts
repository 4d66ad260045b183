import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { newestAfter, staleBuildMessage, staleBuildWarning } from "./stale-build.js";

describe("newestAfter", () => {
  const a = { path: "cli/a.ts", mtimeMs: 100 };
  const b = { path: "models/b.ts", mtimeMs: 300 };
  const c = { path: "server/c.ts", mtimeMs: 200 };
  it.each([
    ["nothing changed after the build", [a, b, c], 400, undefined],
    ["the newest of those changed after it", [a, b, c], 150, b],
    ["one changed after it", [a, c], 150, c],
    ["changed at the build's own time: current", [a], 100, undefined],
    ["no sources", [], 0, undefined],
  ] as const)("%s", (_name, sources, builtMs, newest) => {
    expect(newestAfter(sources, builtMs)).toEqual(newest);
  });
});

describe("staleBuildWarning", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  /** A clone-shaped tree: each file written with the given mtime in seconds. */
  function tree(files: Record<string, number>): string {
    root = mkdtempSync(join(tmpdir(), "florence2-stale-"));
    for (const [path, seconds] of Object.entries(files)) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, "");
      utimesSync(file, seconds, seconds);
    }
    return root;
  }

  it.each([
    ["a build newer than every source", { "cli/main.ts": 1000, "models/x.ts": 1500 }, undefined],
    ["a source changed after the build", { "cli/main.ts": 1000, "models/x.ts": 2500 }, "models/x.ts"],
    ["the newest of several", { "server/a.ts": 2500, "core/deep/b.ts": 3000 }, "core/deep/b.ts"],
    ["a test changed after the build: not compiled, no warning", { "cli/main.test.ts": 3000 }, undefined],
    ["a declaration file, and a workspace's own dist/", { "gen/x.d.ts": 3000, "client/dist/y.ts": 3000 }, undefined],
    ["a file outside the compiled folders", { "tools/x.ts": 3000, "README.ts": 3000 }, undefined],
  ])("%s", (_name, sources, changed) => {
    const dir = tree({ "dist/cli/main.js": 2000, ...sources });
    expect(staleBuildWarning(dir, join(dir, "dist/cli/main.js"))).toBe(
      changed === undefined ? undefined : staleBuildMessage(changed),
    );
  });

  it("says nothing without a build to compare with", () => {
    const dir = tree({ "cli/main.ts": 3000 });
    expect(staleBuildWarning(dir, join(dir, "dist/cli/main.js"))).toBeUndefined();
  });

  it("names the file and the command that rebuilds", () => {
    expect(staleBuildMessage("models/x.ts")).toBe(
      "florence2: dist/ was built before models/x.ts changed; run `npm run build` (or `npm ci`) so this command runs the current code\n",
    );
  });
});
