/**
 * The client entry points must not drag the engine into an application: no onnxruntime-node, no
 * sharp, nothing of models/, and the browser entry nothing of Node at all. Each entry is imported
 * in a child process whose resolve hook records every module it loads.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
let dir = "";

/** Imports `entry` in a fresh Node process, creates a client, and returns every resolved module. */
async function moduleGraph(entry: string): Promise<string[]> {
  const file = join(dir, `${entry.replaceAll("/", "_")}.txt`);
  const script = `const m = await import(${JSON.stringify(`./${entry}`)}); m.createFlorenceClient({ baseUrl: "http://127.0.0.1:1" });`;
  await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--import", "./test/client/record-imports.mjs", "--input-type=module", "-e", script],
    { cwd: root, env: { ...process.env, RECORD_IMPORTS_FILE: file }, timeout: 30_000 },
  );
  const urls = new Set((await readFile(file, "utf8")).split("\n").filter((u) => u.length > 0));
  return [...urls].map((u) => (u.startsWith("file:") ? relative(root, fileURLToPath(u)) : u));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "client-graph-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(["client/index.ts", "client/browser.ts"])("the module graph of %s", (entry) => {
  let graph: string[] = [];
  beforeAll(async () => {
    graph = await moduleGraph(entry);
  });

  it("was recorded (the hook saw the entry and the generated code)", () => {
    expect(graph).toContain(entry);
    expect(graph).toContain("gen/florence/v1/florence_service_pb.ts");
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
    const graph = await moduleGraph("client/browser.ts");
    expect(graph.filter((m) => m.startsWith("node:"))).toEqual([]);
  });
});
