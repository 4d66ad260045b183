import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakeGraphs, fakeModelDefaults, writeFakeModel } from "../../test/support/loading/fake-model.js";
import { encodeFakeModel } from "../../test/support/loading/fake-onnx.js";
import { isFlorenceError } from "../errors.js";
import type { FlorenceSessions, SessionLoadOptionsInit } from "./sessions.js";
import { loadSessions, makeSessionLoadOptions, toOrtSessionOptions } from "./sessions.js";

let dir: string;
const loaded: FlorenceSessions[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "florence-sess-"));
});
afterEach(async () => {
  for (const s of loaded.splice(0)) await s.release();
  rmSync(dir, { recursive: true, force: true });
});

async function load(options: SessionLoadOptionsInit = {}): Promise<FlorenceSessions> {
  const s = await loadSessions(dir, options);
  loaded.push(s);
  return s;
}

async function loadError(options: SessionLoadOptionsInit = {}): Promise<Error & { kind: string }> {
  const e = await load(options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isFlorenceError(e), `expected a FlorenceError, got ${String(e)}`).toBe(true);
  return e as Error & { kind: string };
}

function editConfig(patch: (text: Record<string, unknown>) => void): void {
  const path = join(dir, "config.json");
  const config = JSON.parse(readFileSync(path, "utf8")) as { text_config: Record<string, unknown> };
  patch(config.text_config);
  writeFileSync(path, JSON.stringify(config));
}

describe("loadSessions", () => {
  it("loads the four graphs and derives the decoder contract from their metadata", async () => {
    writeFakeModel(dir);
    const s = await load();
    expect(s.files).toEqual({
      vision_encoder: "onnx/vision_encoder.onnx",
      embed_tokens: "onnx/embed_tokens.onnx",
      encoder_model: "onnx/encoder_model.onnx",
      decoder_model_merged: "onnx/decoder_model_merged.onnx",
    });
    const d = s.contract.decoder;
    expect([d.layers, d.heads, d.headDim, d.dModel, d.vocabSize, d.kvType, d.useCacheBranch?.name]).toEqual([
      2,
      4,
      8,
      32,
      300,
      "float32",
      "use_cache_branch",
    ]);
    expect(d.kv).toHaveLength(8);
    expect(d.presentToPast["present.0.encoder.key"]).toBe("past_key_values.0.encoder.key");
    expect(d.logits.dims).toEqual(["batch_size", "decoder_sequence_length", 300]);
    expect(s.contract.vision.imageTokens).toBe(577);
    expect(s.contract.embed.inputIds.type).toBe("int64");
    expect(s.sessions.decoder_model_merged.inputNames).toContain("past_key_values.1.encoder.value");
    expect(s.config.generation.numBeams).toBe(3);
  });

  it("works for other sizes, layer counts, dim names and a float16 cache", async () => {
    writeFakeModel(dir, {
      layers: 6,
      heads: 6,
      dModel: 48,
      vocab: 1000,
      imageTokens: 145,
      floatType: "float16",
      symbolicHeads: true,
      batchDim: "batch",
      useCacheBranch: false,
      suffix: "_fp16",
    });
    const s = await load({ dtype: "fp16" });
    const d = s.contract.decoder;
    expect([d.layers, d.heads, d.headDim, d.dModel, d.vocabSize, d.kvType, d.useCacheBranch]).toEqual([
      6,
      6,
      8,
      48,
      1000,
      "float16",
      undefined,
    ]);
    expect(d.kv[0]?.dims).toEqual(["batch", "num_heads", "past_decoder_sequence_length", "head_dim"]);
    expect([s.contract.vision.imageTokens, s.contract.embed.inputsEmbeds.type, s.files.encoder_model]).toEqual([
      145,
      "float16",
      "onnx/encoder_model_fp16.onnx",
    ]);
  });

  it("loads a per-file dtype map", async () => {
    writeFakeModel(dir);
    writeFakeModel(dir, { suffix: "_quantized" });
    const s = await load({ dtype: { decoder_model_merged: "q8" } });
    expect([s.files.decoder_model_merged, s.files.vision_encoder, s.dtypes.decoder_model_merged]).toEqual([
      "onnx/decoder_model_merged_quantized.onnx",
      "onnx/vision_encoder.onnx",
      "q8",
    ]);
  });

  it("names a missing graph", async () => {
    writeFakeModel(dir);
    rmSync(join(dir, "onnx/encoder_model.onnx"));
    const e = await loadError();
    expect(e.kind).toBe("model_load");
    expect(e.message).toBe(`model folder ${dir} is missing onnx/encoder_model.onnx`);
  });

  it("reports a layer-count mismatch with config.json", async () => {
    writeFakeModel(dir, { layers: 3 });
    editConfig((t) => {
      t.decoder_layers = 4;
    });
    const e = await loadError();
    expect(e.kind).toBe("model_load");
    expect(e.message).toBe(
      "onnx/decoder_model_merged.onnx: input past_key_values.3.decoder.key is missing; the decoder has 3 layers but config.json says 4 (text_config.decoder_layers)",
    );
  });

  it.each([
    [
      "vocab",
      { vocab_size: 51289 },
      /^onnx\/decoder_model_merged\.onnx: logits dim 2 is 300 but config\.json text_config\.vocab_size is 51289$/,
    ],
    [
      "d_model",
      { d_model: 64 },
      /^onnx\/vision_encoder\.onnx: image_features dim 2 is 32 but config\.json text_config\.d_model is 64$/,
    ],
    [
      "heads",
      { decoder_attention_heads: 8 },
      /past_key_values\.0\.decoder\.key dim 1 is 4 but config\.json text_config\.decoder_attention_heads is 8/,
    ],
  ])("reports a %s mismatch with config.json", async (_label, patch, message) => {
    writeFakeModel(dir);
    editConfig((t) => Object.assign(t, patch));
    const e = await loadError();
    expect(e.kind).toBe("model_load");
    expect(e.message).toMatch(message);
  });

  it("reports a renamed decoder input", async () => {
    writeFakeModel(dir);
    const graph = fakeGraphs(fakeModelDefaults).decoder_model_merged;
    const inputs = graph.inputs.map((v) =>
      v.name === "past_key_values.1.decoder.value" ? { ...v, name: "past_key_values.1.decoder.v" } : v,
    );
    writeFileSync(join(dir, "onnx/decoder_model_merged.onnx"), encodeFakeModel({ ...graph, inputs }));
    const e = await loadError();
    expect(e.message).toMatch(
      /^onnx\/decoder_model_merged\.onnx: input past_key_values\.1\.decoder\.value is missing .*; input past_key_values\.1\.decoder\.v is not part of the Florence-2 contract$/,
    );
  });

  it("reports a graph onnxruntime cannot parse", async () => {
    writeFakeModel(dir);
    writeFileSync(join(dir, "onnx/embed_tokens.onnx"), "this is not an onnx file");
    const e = await loadError();
    expect(e.kind).toBe("model_load");
    expect(e.message).toMatch(/^onnx\/embed_tokens\.onnx: onnxruntime could not load it \(.+\); re-download the model/);
  });

  it("reports a config problem before loading graphs", async () => {
    writeFakeModel(dir);
    editConfig((t) => {
      delete t.d_model;
    });
    expect((await loadError()).message).toBe('config.json: field "text_config.d_model" is missing');
  });
});

/** Where onnxruntime-node keeps its native libraries; the CUDA ones exist only after its CUDA install script ran. */
const ortBinDir = join(
  dirname(createRequire(import.meta.url).resolve("onnxruntime-node")),
  "..",
  "bin",
  "napi-v6",
  process.platform,
  process.arch,
);
const cudaInstalled = existsSync(join(ortBinDir, "libonnxruntime_providers_cuda.so"));
const vulkanInstalled = [
  "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
  "/usr/lib64/libvulkan.so.1",
  "/usr/lib/libvulkan.so.1",
].some(existsSync);

describe("execution providers", () => {
  it.runIf(!cudaInstalled)(
    "cuda without ORT's CUDA provider libraries fails as provider_unavailable (runs only where they are absent)",
    async () => {
      writeFakeModel(dir);
      const e = await loadError({ executionProvider: "cuda" });
      expect(e.kind).toBe("provider_unavailable");
      expect(e.message).toMatch(
        /execution provider "cuda" is not available.*ORT said: OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library/,
      );
      // The advice is our PyPI install (docs/gpu.md), no longer onnxruntime-node's NuGet download.
      expect(e.message).toMatch(
        /run `npx florence2 gpu-install` \(in a clone of the repository: `npm run gpu:install`\)/,
      );
      expect(e.message).toMatch(/CUDA 13 and cuDNN 9/);
      expect(e.message).not.toMatch(/ONNXRUNTIME_NODE_INSTALL|NuGet/);
    },
  );

  it.runIf(!vulkanInstalled)(
    "webgpu without Vulkan fails as provider_unavailable (runs only where libvulkan is absent)",
    async () => {
      writeFakeModel(dir);
      const e = await loadError({ executionProvider: "webgpu" });
      expect(e.kind).toBe("provider_unavailable");
      expect(e.message).toMatch(
        /execution provider "webgpu" is not available.*ORT said: Failed to get a WebGPU adapter: No supported adapters\)/,
      );
      expect(e.message).toMatch(/libvulkan\.so\.1/);
    },
  );

  it("maps options to onnxruntime session options", () => {
    expect(toOrtSessionOptions(makeSessionLoadOptions())).toEqual({
      executionProviders: ["cpu"],
      enableCpuMemArena: false,
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    });
    expect(
      toOrtSessionOptions(
        makeSessionLoadOptions({
          executionProvider: "cuda",
          deviceId: 1,
          intraOpNumThreads: 2,
          allowSpinning: false,
          graphOptimizationLevel: "basic",
        }),
      ),
    ).toEqual({
      executionProviders: [{ name: "cuda", deviceId: 1 }],
      graphOptimizationLevel: "basic",
      logSeverityLevel: 3,
      intraOpNumThreads: 2,
      extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
    });
    expect(() => makeSessionLoadOptions({ intraOpNumThreads: -1 })).toThrow(/intraOpNumThreads -1/);
  });

  it.each([
    ["cpu", false],
    ["cuda", undefined],
    ["webgpu", undefined],
  ] as const)("on %s: CPU memory arena %s (undefined = onnxruntime's default, on)", (executionProvider, arena) => {
    expect(toOrtSessionOptions(makeSessionLoadOptions({ executionProvider })).enableCpuMemArena).toBe(arena);
  });
});
