/**
 * The pure helpers of the packaging test: if these were wrong, install-from-tarballs.package-test.ts
 * could pass on a package whose declarations point outside it.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { escapeOf, moduleSpecifiers, packageNameOf, scratchEnv } from "./package-files.js";

describe("moduleSpecifiers", () => {
  it.each([
    { source: 'import { a } from "./a.js";', expected: ["./a.js"] },
    { source: 'export * from "../core/results.js";', expected: ["../core/results.js"] },
    { source: "export type { X } from '@connectrpc/connect';", expected: ["@connectrpc/connect"] },
    { source: 'import "./side-effect.js";', expected: ["./side-effect.js"] },
    { source: 'const m = await import("node:fs/promises");', expected: ["node:fs/promises"] },
    { source: 'type T = import("../../gen/x_pb.js").X;', expected: ["../../gen/x_pb.js"] },
    { source: 'const s = require("sharp");', expected: ["sharp"] },
    { source: "const from = 1; // no import here", expected: [] },
  ])("finds $expected in $source", ({ source, expected }) => {
    expect(moduleSpecifiers(source)).toEqual(expected);
  });
});

describe("packageNameOf", () => {
  it.each([
    ["@connectrpc/connect/protocol", "@connectrpc/connect"],
    ["@bufbuild/protobuf", "@bufbuild/protobuf"],
    ["sharp", "sharp"],
    ["onnxruntime-node/dist/index.js", "onnxruntime-node"],
  ])("%s belongs to %s", (specifier, name) => {
    expect(packageNameOf(specifier)).toBe(name);
  });
});

describe("escapeOf", () => {
  const pkg = join("/scratch", "node_modules", "florence2-client");
  const file = join(pkg, "dist", "client", "index.d.ts");
  const declared = new Set(["@connectrpc/connect", "@bufbuild/protobuf", "sharp"]);

  it.each([
    { specifier: "./client.js", escapes: false },
    { specifier: "../core/results.js", escapes: false },
    { specifier: "../gen/florence/v1/task_pb.js", escapes: false },
    { specifier: "node:fs/promises", escapes: false },
    { specifier: "@connectrpc/connect", escapes: false },
    { specifier: "@bufbuild/protobuf/wire", escapes: false },
    { specifier: "sharp", escapes: false },
    { specifier: "../../../core/results.js", escapes: true },
    { specifier: "../../../../gen/x_pb.js", escapes: true },
    { specifier: "onnxruntime-node", escapes: true },
    { specifier: "florence2-grpc/gen/x_pb.js", escapes: true },
    { specifier: "/work/repo/core/results.js", escapes: true },
    { specifier: "file:///work/repo/core/results.js", escapes: true },
  ])("$specifier escapes: $escapes", ({ specifier, escapes }) => {
    const problem = escapeOf(pkg, file, specifier, declared);
    if (escapes) expect(problem).toContain(specifier);
    else expect(problem).toBeUndefined();
  });
});

describe("scratchEnv", () => {
  it("drops npm's variables and the onnxruntime install flag, and keeps the rest", () => {
    const env = scratchEnv({
      PATH: "/usr/bin",
      HOME: "/home/u",
      npm_config_local_prefix: "/repo",
      npm_package_json: "/repo/package.json",
      NPM_CONFIG_CACHE: "/cache",
      ONNXRUNTIME_NODE_INSTALL: "skip",
      ONNXRUNTIME_NODE_INSTALL_CUDA: "skip",
    });
    expect(env).toEqual({ PATH: "/usr/bin", HOME: "/home/u" });
  });
});
