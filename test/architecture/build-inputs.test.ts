/**
 * dist/ holds what the package ships and nothing else: no test file, nothing from test/ (helpers,
 * fakes, fixtures), no testing/ or testdata/ folder, and no development-only package such as vitest.
 * tsconfig.build.json keeps these out of its inputs, but `exclude` cannot stop a file that a
 * production file imports, so this asks tsc for the build's real input list (`--listFilesOnly`:
 * every file the build would compile, imports followed) and checks each path.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

/** What must never be a build input, by repository-relative path; each rule says why in its name. */
const TEST_ONLY_PATHS: readonly { readonly rule: string; readonly matches: (path: string) => boolean }[] = [
  { rule: "a test file (*.test.ts)", matches: (p) => /\.test\.[cm]?[jt]sx?$/.test(p) },
  { rule: "test support or fixtures (test/)", matches: (p) => p.startsWith("test/") },
  {
    rule: "a testing/, testdata/ or fixtures/ folder",
    matches: (p) => /(^|\/)(testing|testdata|fixtures|__tests__)\//.test(p),
  },
  { rule: "the benchmark (bench/, run from source)", matches: (p) => p.startsWith("bench/") },
];

/** devDependencies whose declarations a production build may read: the compiler's libs and @types. */
const isAllowedDevPackage = (name: string): boolean => name === "typescript" || name.startsWith("@types/");

/** The package a node_modules path belongs to ("vitest", "@grpc/grpc-js"), or undefined outside node_modules. */
function packageOf(path: string): string | undefined {
  const after = path.split("node_modules/").at(-1);
  if (after === undefined || after === path) return undefined;
  const [first, second] = after.split("/");
  return first?.startsWith("@") === true ? `${first}/${second}` : first;
}

/** Every input of `tsc -p tsconfig.build.json`, as paths relative to the repository with "/" separators. */
async function buildInputs(): Promise<string[]> {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const { stdout } = await run(process.execPath, [tsc, "-p", "tsconfig.build.json", "--listFilesOnly"], {
    cwd: root,
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((file) => relative(root, file).split(sep).join("/"));
}

let inputs: string[] = [];

beforeAll(async () => {
  inputs = await buildInputs();
}, 120_000);

describe("the build (tsconfig.build.json)", () => {
  it("compiles the production entry points", () => {
    // Guards the checks below against passing on an empty or wrong list.
    expect(inputs).toEqual(
      expect.arrayContaining(["models/index.ts", "server/index.ts", "client/index.ts", "cli/main.ts"]),
    );
  });

  it.each(TEST_ONLY_PATHS)("compiles nothing that is $rule", ({ matches }) => {
    const ours = inputs.filter((p) => !p.includes("node_modules/"));
    expect(ours.filter(matches)).toEqual([]);
  });

  it("reads no development-only package", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      devDependencies?: Record<string, string>;
    };
    const devOnly = new Set(Object.keys(manifest.devDependencies ?? {}).filter((name) => !isAllowedDevPackage(name)));
    const used = new Set(
      inputs.map(packageOf).filter((name): name is string => name !== undefined && devOnly.has(name)),
    );
    expect([...used]).toEqual([]);
  });
});
