/**
 * The client entry points must not drag the engine into an application: no onnxruntime-node, no
 * sharp, nothing of models/, and the browser entry nothing of Node at all. The client is built
 * with tsc (tsconfig.build.json's settings, only client/ as input, so tsc compiles just what the
 * client imports), and each built entry is imported in a plain Node child process (no tsx) whose
 * resolve hook records every module it loads.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);
/** Inside the repository (git-ignored .cache/), so the built files resolve node_modules as usual. */
let dir = "";
let out = "";

/** Builds client/ (and, through its imports, whatever it needs) into `out`. */
async function buildClient(): Promise<void> {
  const tsconfig = {
    extends: relative(dir, join(root, "tsconfig.build.json")),
    compilerOptions: { outDir: "out", rootDir: relative(dir, root), sourceMap: false, declaration: false },
    include: [relative(dir, join(root, "client"))],
    exclude: [relative(dir, join(root, "**/*.test.ts"))],
  };
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], {
    cwd: root,
    timeout: 120_000,
  });
}

/** Imports the built `entry` in a fresh Node process, creates a client, and returns every resolved module. */
async function moduleGraph(entry: string): Promise<string[]> {
  const file = join(dir, `${entry.replaceAll("/", "_")}.txt`);
  const url = new URL(`file://${join(out, entry)}`).href;
  const script = `const m = await import(${JSON.stringify(url)}); m.createFlorenceClient({ baseUrl: "http://127.0.0.1:1" });`;
  await run(process.execPath, ["--import", "./test/client/record-imports.mjs", "--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, RECORD_IMPORTS_FILE: file },
    timeout: 30_000,
  });
  const urls = new Set((await readFile(file, "utf8")).split("\n").filter((u) => u.length > 0));
  return [...urls].map((u) => {
    if (!u.startsWith("file:")) return u;
    const path = fileURLToPath(u);
    return path.startsWith(out) ? relative(out, path) : relative(root, path);
  });
}

beforeAll(async () => {
  await mkdir(join(root, ".cache"), { recursive: true });
  dir = await mkdtemp(join(root, ".cache", "client-build-"));
  out = join(dir, "out");
  await buildClient();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(["client/index.js", "client/browser.js"])("the module graph of %s", (entry) => {
  let graph: string[] = [];
  beforeAll(async () => {
    graph = await moduleGraph(entry);
  });

  it("was recorded (the hook saw the entry and the generated code)", () => {
    expect(graph).toContain(entry);
    expect(graph).toContain("gen/florence/v1/florence_service_pb.js");
  });

  it.each(["onnxruntime-node", "onnxruntime-common", "sharp", "@img/", "@huggingface/"])("does not load %s", (pkg) => {
    expect(graph.filter((m) => m.includes(`node_modules/${pkg}`))).toEqual([]);
  });

  it("loads only client/, gen/, connect and protobuf-es code of ours and our dependencies", () => {
    const outside = graph.filter(
      (m) =>
        !m.startsWith("node:") &&
        !m.startsWith("client/") &&
        !m.startsWith("gen/") &&
        !m.startsWith("node_modules/@connectrpc/") &&
        !m.startsWith("node_modules/@bufbuild/protobuf/"),
    );
    expect(outside).toEqual([]);
  });
});

describe("the browser entry", () => {
  it("loads no Node built-in module (so bundlers need no fs, http2 or zlib shims)", async () => {
    const graph = await moduleGraph("client/browser.js");
    expect(graph.filter((m) => m.startsWith("node:"))).toEqual([]);
  });
});
