import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HubServer } from "../../test/helpers/hub-server.js";
import { startHubServer } from "../../test/helpers/hub-server.js";
import { isFlorenceError } from "../errors.js";
import type { ModelSourceOptionsInit } from "./model-source.js";
import { makeModelSourceOptions, resolveModel, toRepoId } from "./model-source.js";
import type { DownloadProgress } from "./progress.js";

const REPO = "someone/florence-finetune";
const GRAPHS = ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"];
const BIG = "onnx/decoder_model_merged.onnx";

/** A fake model folder: real-looking JSON files and random bytes as graphs (downloads never parse them). */
function makeRepoFolder(root: string, suffixes: readonly string[] = [""]): void {
  mkdirSync(join(root, "onnx"), { recursive: true });
  for (const name of [
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
  ]) {
    writeFileSync(join(root, name), JSON.stringify({ name }));
  }
  for (const suffix of suffixes) {
    for (const g of GRAPHS)
      writeFileSync(
        join(root, "onnx", `${g}${suffix}.onnx`),
        randomBytes(g === "decoder_model_merged" ? 300_000 : 20_000),
      );
  }
}

async function expectError(p: Promise<unknown>, kind: string, ...parts: (string | RegExp)[]): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isFlorenceError(e), `expected a FlorenceError, got ${String(e)}`).toBe(true);
  const err = e as Error & { kind: string };
  expect(err.kind).toBe(kind);
  for (const part of parts) expect(err.message).toMatch(part);
  return err.message;
}

let work: string;
let repoDir: string;
let cacheDir: string;
let hub: HubServer;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), "florence-src-"));
  repoDir = join(work, "repo");
  cacheDir = join(work, "cache");
  makeRepoFolder(repoDir, ["", "_fp16"]);
  hub = await startHubServer({ repos: { [REPO]: repoDir, "onnx-community/Florence-2-base": repoDir } });
});

afterEach(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

const opts = (extra: ModelSourceOptionsInit = {}): ModelSourceOptionsInit => ({
  hubBaseUrl: hub.url,
  cacheDir,
  token: "",
  retryDelayMs: 1,
  ...extra,
});
const cached = (path: string): string => join(cacheDir, "someone--florence-finetune", "main", path);
const gets = (path: string) => hub.requests.filter((r) => r.method === "GET" && r.path === path && r.status < 300);

describe("resolveModel from the hub", () => {
  it("downloads every file into {cache}/{owner}--{name}/{revision}, byte-identical, with progress", async () => {
    const events: DownloadProgress[] = [];
    const model = await resolveModel(REPO, opts({ progress: (p) => events.push(p) }));
    expect(model.source).toBe("hub");
    expect(model.path).toBe(join(cacheDir, "someone--florence-finetune", "main"));
    expect(model.onnxFiles.decoder_model_merged).toBe(BIG);
    const files = [
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      ...GRAPHS.map((g) => `onnx/${g}.onnx`),
    ];
    let total = 0;
    for (const f of files) {
      expect(readFileSync(cached(f)).equals(readFileSync(join(repoDir, f))), f).toBe(true);
      total += statSync(join(repoDir, f)).size;
    }
    expect(model.downloadedBytes).toBe(total);
    expect(existsSync(cached("onnx/encoder_model_fp16.onnx"))).toBe(false);
    const done = events.filter((e) => e.done).map((e) => e.file);
    expect(done).toEqual(files);
    expect(events.every((e) => e.fileCount === files.length)).toBe(true);
  });

  it("does not download a completed file again", async () => {
    await resolveModel(REPO, opts());
    const before = hub.requests.length;
    const again = await resolveModel(REPO, opts());
    expect(again.downloadedBytes).toBe(0);
    const later = hub.requests.slice(before);
    expect(later.filter((r) => r.method === "GET" && r.path !== "api")).toEqual([]);
  });

  it("re-downloads a file whose etag changed on the hub", async () => {
    await resolveModel(REPO, opts());
    const changed = randomBytes(1234);
    writeFileSync(join(repoDir, BIG), changed);
    const again = await resolveModel(REPO, opts());
    expect(again.downloadedBytes).toBe(1234);
    expect(readFileSync(cached(BIG)).equals(changed)).toBe(true);
  });

  it("resumes an interrupted download with a Range request on the next run", async () => {
    hub.hooks.cutAfter.set(BIG, 100_000);
    await expectError(resolveModel(REPO, opts({ retries: 0 })), "download", BIG, /failed after 1 attempt/);
    const partSize = statSync(`${cached(BIG)}.part`).size;
    expect(partSize).toBe(100_000);
    expect(existsSync(cached(BIG))).toBe(false);

    const model = await resolveModel(REPO, opts({ retries: 0 }));
    const resumed = gets(BIG).at(-1);
    expect(resumed?.range).toBe(`bytes=${partSize}-`);
    expect(resumed?.status).toBe(206);
    expect(readFileSync(cached(BIG)).equals(readFileSync(join(repoDir, BIG)))).toBe(true);
    expect(existsSync(`${cached(BIG)}.part`)).toBe(false);
    expect(model.downloadedBytes).toBe(300_000 - 100_000);
  });

  it("retries within one call after a cut connection, resuming where it stopped", async () => {
    hub.hooks.cutAfter.set(BIG, 50_000);
    await resolveModel(REPO, opts({ retries: 2 }));
    const attempts = gets(BIG);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]?.range).toBeUndefined();
    expect(attempts[1]?.range).toBe("bytes=50000-");
    expect(readFileSync(cached(BIG)).equals(readFileSync(join(repoDir, BIG)))).toBe(true);
  });

  it("restarts the file when the server ignores Range (200 instead of 206)", async () => {
    hub.hooks.cutAfter.set(BIG, 50_000);
    hub.hooks.ignoreRange = true;
    await resolveModel(REPO, opts({ retries: 1 }));
    expect(gets(BIG).map((r) => r.status)).toEqual([200, 200]);
    expect(readFileSync(cached(BIG)).equals(readFileSync(join(repoDir, BIG)))).toBe(true);
  });

  it("retries after an idle timeout", async () => {
    hub.hooks.stallAfter.set(BIG, 10_000);
    await resolveModel(REPO, opts({ retries: 1, timeoutMs: 300 }));
    expect(gets(BIG)[1]?.range).toBe("bytes=10000-");
    expect(readFileSync(cached(BIG)).equals(readFileSync(join(repoDir, BIG)))).toBe(true);
  });

  it("stops with cancelled when the signal aborts, keeping the partial file", async () => {
    hub.hooks.stallAfter.set(BIG, 10_000);
    const controller = new AbortController();
    const events: DownloadProgress[] = [];
    const progress = (p: DownloadProgress): void => {
      events.push(p);
      if (p.file === BIG && p.bytes >= 10_000) controller.abort();
    };
    await expectError(resolveModel(REPO, opts({ signal: controller.signal, progress })), "cancelled", BIG);
    expect(statSync(`${cached(BIG)}.part`).size).toBe(10_000);
  });

  it("retries 503 answers", async () => {
    hub.hooks.failNext.set("onnx/embed_tokens.onnx", { status: 503, count: 2 });
    await resolveModel(REPO, opts({ retries: 2 }));
    expect(
      readFileSync(cached("onnx/embed_tokens.onnx")).equals(readFileSync(join(repoDir, "onnx/embed_tokens.onnx"))),
    ).toBe(true);
  });

  it("detects a corrupted download, names file and hashes, and deletes it", async () => {
    hub.hooks.corrupt.add(BIG);
    const expected = hub.sha256(REPO, BIG);
    await expectError(resolveModel(REPO, opts()), "download", BIG, `expected sha256 ${expected}`, /got [0-9a-f]{64}/);
    expect(existsSync(cached(BIG))).toBe(false);
    expect(existsSync(`${cached(BIG)}.part`)).toBe(false);
  });

  it("asks for a token when the repo needs one, and reports a rejected token", async () => {
    hub.hooks.token = "secret";
    await expectError(resolveModel(REPO, opts()), "download", /401/, /HF_TOKEN/);
    await expectError(resolveModel(REPO, opts({ token: "wrong" })), "download", /403/, /access/);
    await resolveModel(REPO, opts({ token: "secret" }));
    const fileRequests = hub.requests.filter((r) => r.path === BIG && r.status < 400);
    expect(fileRequests.length).toBeGreaterThan(0);
    expect(fileRequests.filter((r) => r.status !== 200).every((r) => r.authorization === "Bearer secret")).toBe(true);
  });

  it.each([
    ["an unknown repo", "nobody/nothing", () => {}, /repository nobody\/nothing was not found/],
    [
      "a file the listing lacks",
      REPO,
      () => rmSync(join(repoDir, "onnx/encoder_model.onnx")),
      /hub repo someone\/florence-finetune is missing onnx\/encoder_model\.onnx .*dtype fp32; it has dtype fp16/,
    ],
    [
      "a file the resolve URL lacks",
      REPO,
      () => hub.hooks.missing.add("tokenizer.json"),
      /tokenizer\.json of someone\/florence-finetune was not found on the hub \(404\)/,
    ],
  ])("404: %s is named", async (_label, spec, setup, message) => {
    setup();
    await expectError(resolveModel(spec, opts()), "model_load", message);
  });

  it("fetches the files of the requested dtype, and says which dtypes exist", async () => {
    const model = await resolveModel(REPO, opts({ dtype: "fp16" }));
    expect(model.onnxFiles.vision_encoder).toBe("onnx/vision_encoder_fp16.onnx");
    expect(existsSync(cached("onnx/vision_encoder_fp16.onnx"))).toBe(true);
    expect(existsSync(cached("onnx/vision_encoder.onnx"))).toBe(false);
    await expectError(
      resolveModel(REPO, opts({ dtype: "q4" })),
      "model_load",
      "onnx/vision_encoder_q4.onnx",
      /it has dtype fp32, fp16/,
    );
  });

  it("also fetches a graph's external-data file when the hub lists one", async () => {
    writeFileSync(join(repoDir, `${BIG}_data`), randomBytes(5000));
    await resolveModel(REPO, opts());
    expect(readFileSync(cached(`${BIG}_data`)).equals(readFileSync(join(repoDir, `${BIG}_data`)))).toBe(true);
  });

  it("maps the short names to onnx-community repos", async () => {
    const model = await resolveModel("florence-2-base", opts());
    expect(model.repo).toBe("onnx-community/Florence-2-base");
    expect(existsSync(join(cacheDir, "onnx-community--Florence-2-base", "main", BIG))).toBe(true);
  });

  it("skips the optional generation_config.json when the repo has none", async () => {
    rmSync(join(repoDir, "generation_config.json"));
    await resolveModel(REPO, opts());
    expect(existsSync(cached("generation_config.json"))).toBe(false);
    expect(existsSync(cached("config.json"))).toBe(true);
  });
});

describe("resolveModel offline", () => {
  it("uses a complete cache without any request", async () => {
    await resolveModel(REPO, opts());
    const before = hub.requests.length;
    const model = await resolveModel(REPO, opts({ offline: true }));
    expect(model.source).toBe("cache");
    expect(hub.requests.length).toBe(before);
  });

  it("fails naming the missing file when the cache lacks it", async () => {
    await expectError(
      resolveModel(REPO, opts({ offline: true })),
      "model_load",
      /offline mode/,
      "config.json",
      /drop --offline/,
      /local model folder/,
    );
    expect(hub.requests).toEqual([]);
    await resolveModel(REPO, opts());
    rmSync(cached("onnx/embed_tokens.onnx"));
    await expectError(
      resolveModel(REPO, opts({ offline: true })),
      "model_load",
      /^offline mode: onnx\/embed_tokens\.onnx of someone\/florence-finetune/,
    );
  });

  it("falls back to a complete cache when the hub is unreachable", async () => {
    await resolveModel(REPO, opts());
    const model = await resolveModel(REPO, opts({ hubBaseUrl: "http://127.0.0.1:1", retries: 0 }));
    expect(model.source).toBe("cache");
  });

  it("reads $HF_HUB_OFFLINE, $FLORENCE2_CACHE, $HF_ENDPOINT and $HF_TOKEN for the defaults", () => {
    const o = makeModelSourceOptions(
      {},
      { HF_HUB_OFFLINE: "1", FLORENCE2_CACHE: "/c", HF_ENDPOINT: "http://h", HF_TOKEN: "t" },
    );
    expect([o.offline, o.cacheDir, o.hubBaseUrl, o.token, o.revision, o.dtype]).toEqual([
      true,
      "/c",
      "http://h",
      "t",
      "main",
      "fp32",
    ]);
    const d = makeModelSourceOptions({ cacheDir: undefined, offline: false }, {});
    expect([d.offline, d.cacheDir.endsWith(join(".cache", "florence2")), d.hubBaseUrl, d.token]).toEqual([
      false,
      true,
      "https://huggingface.co",
      undefined,
    ]);
  });
});

describe("resolveModel with a local folder", () => {
  it("uses the folder as is, without the network", async () => {
    const model = await resolveModel(repoDir, opts({ dtype: { decoder_model_merged: "fp16" } }));
    expect([model.source, model.path, model.onnxFiles.decoder_model_merged, model.onnxFiles.encoder_model]).toEqual([
      "local",
      repoDir,
      "onnx/decoder_model_merged_fp16.onnx",
      "onnx/encoder_model.onnx",
    ]);
    expect(hub.requests).toEqual([]);
  });

  it.each([
    [
      "a missing graph",
      () => rmSync(join(repoDir, "onnx/embed_tokens.onnx")),
      "fp32",
      /is missing onnx\/embed_tokens\.onnx \(dtype fp32; it has dtype fp16/,
    ],
    [
      "a dtype it lacks",
      () => {},
      "q8",
      /is missing 4 files: onnx\/vision_encoder_quantized\.onnx.*it has dtype fp32, fp16/,
    ],
    ["a missing tokenizer", () => rmSync(join(repoDir, "tokenizer.json")), "fp32", /is missing tokenizer\.json$/],
  ] as const)("fails on %s", async (_label, setup, dtype, message) => {
    setup();
    await expectError(resolveModel(repoDir, opts({ dtype })), "model_load", repoDir, message);
  });

  it("fails on a path that does not exist, and on a spec that is nothing", async () => {
    await expectError(resolveModel(join(work, "nope"), opts()), "model_load", /does not exist/);
    await expectError(resolveModel("not a model", opts()), "invalid_argument", /florence-2-base/);
    await expectError(resolveModel(repoDir, opts({ dtype: "fp64" as "fp32" })), "invalid_argument", /fp64/);
  });

  it.each([
    ["florence-2-large-ft", "onnx-community/Florence-2-large-ft"],
    ["Florence-2-Base", "onnx-community/Florence-2-base"],
    ["me/my-model.v2", "me/my-model.v2"],
    ["a/b/c", undefined],
    ["../x", undefined],
  ])("toRepoId(%s) = %s", (spec, repo) => {
    expect(toRepoId(spec)).toBe(repo);
  });
});
