/**
 * loadSessions and resolveModel against the tiny random-weight Florence-2 export in
 * test/fixtures/tiny (onnx-community layout, fp32 / fp16 / q8 graphs), and against broken copies.
 * Expected sizes come from the fixture's config.json, an independent source from the graphs.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHubServer } from "../../test/helpers/hub-server.js";
import { isFlorenceError } from "../errors.js";
import { emptyPastDims } from "../generation/decoder-layout.js";
import { resolveModel } from "../hub/index.js";
import type { ModelConfig } from "./model-config.js";
import { readModelConfig } from "./model-config.js";
import { loadSessions } from "./sessions.js";

const FIXTURE = fileURLToPath(new URL("../../test/fixtures/tiny", import.meta.url));
const FP32_FILES = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  ...["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"].map((g) => `onnx/${g}.onnx`),
];

let config: ModelConfig;
let work: string;

beforeAll(async () => {
  config = await readModelConfig(FIXTURE);
  work = mkdtempSync(join(tmpdir(), "florence-fixture-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fresh fp32 copy of the fixture to break. */
function copyFixture(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "onnx"), { recursive: true });
  for (const f of FP32_FILES) copyFileSync(join(FIXTURE, f), join(dir, f));
  return dir;
}

async function loadError(dir: string): Promise<Error & { kind: string }> {
  const e = await loadSessions(dir).then(
    async (s) => {
      await s.release();
      return undefined;
    },
    (err: unknown) => err,
  );
  expect(isFlorenceError(e), `expected a FlorenceError, got ${String(e)}`).toBe(true);
  return e as Error & { kind: string };
}

describe("the tiny fixture", () => {
  it.each(["fp32", "fp16", "q8"] as const)("loads as %s and its contract matches config.json", async (dtype) => {
    const s = await loadSessions(FIXTURE, { dtype });
    try {
      const d = s.contract.decoder;
      const t = config.text;
      expect([d.layers, d.heads, d.headDim, d.dModel, d.vocabSize]).toEqual([
        t.decoderLayers,
        t.decoderAttentionHeads,
        t.dModel / t.decoderAttentionHeads,
        t.dModel,
        t.vocabSize,
      ]);
      expect(d.kv).toHaveLength(4 * t.decoderLayers);
      expect(d.useCacheBranch).toEqual({ name: "use_cache_branch", type: "bool", dims: [1] });
      for (const e of d.kv) expect(d.presentToPast[e.present]).toBe(e.past);
      expect(s.contract.vision.imageTokens).toBe(config.preprocessor.imageSeqLength);
      expect(s.files.decoder_model_merged).toBe(
        `onnx/decoder_model_merged${{ fp32: "", fp16: "_fp16", q8: "_quantized" }[dtype]}.onnx`,
      );
    } finally {
      await s.release();
    }
  });

  it("runs a first decoder step fed only from the contract", async () => {
    const s = await loadSessions(FIXTURE);
    try {
      const d = s.contract.decoder;
      const encLen = 5;
      const zeros = (dims: number[]) => new Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
      const feeds: Record<string, Tensor> = {
        [d.inputsEmbeds.name]: zeros([1, 1, d.dModel]),
        [d.encoderHiddenStates.name]: zeros([1, encLen, d.dModel]),
        [d.encoderAttentionMask.name]: new Tensor("int64", new BigInt64Array(encLen).fill(1n), [1, encLen]),
      };
      for (const e of d.kv) feeds[e.past] = zeros(emptyPastDims(e, 1, d));
      if (d.useCacheBranch !== undefined) feeds[d.useCacheBranch.name] = new Tensor("bool", [false], [1]);
      const out = await s.sessions.decoder_model_merged.run(feeds);
      expect(out[d.logits.name]?.dims).toEqual([1, 1, d.vocabSize]);
      const first = d.kv.find((e) => e.attention === "decoder");
      const cross = d.kv.find((e) => e.attention === "encoder");
      expect(out[first?.present ?? ""]?.dims).toEqual([1, d.heads, 1, d.headDim]);
      expect(out[cross?.present ?? ""]?.dims).toEqual([1, d.heads, encLen, d.headDim]);
    } finally {
      await s.release();
    }
  });

  it("downloads from a hub and loads from the cache", async () => {
    const hub = await startHubServer({ repos: { "tiny/florence": FIXTURE } });
    try {
      const model = await resolveModel("tiny/florence", {
        hubBaseUrl: hub.url,
        cacheDir: join(work, "cache"),
        dtype: "q8",
        token: "",
      });
      const s = await loadSessions(model.path, { dtype: model.dtypes });
      expect(s.files.encoder_model).toBe("onnx/encoder_model_quantized.onnx");
      expect(
        readFileSync(join(model.path, "onnx/encoder_model_quantized.onnx")).equals(
          readFileSync(join(FIXTURE, "onnx/encoder_model_quantized.onnx")),
        ),
      ).toBe(true);
      await s.release();
    } finally {
      await hub.close();
    }
  });
});

describe("broken copies of the tiny fixture", () => {
  it("a missing graph is named", async () => {
    const dir = copyFixture("missing");
    rmSync(join(dir, "onnx/decoder_model_merged.onnx"));
    const e = await loadError(dir);
    expect([e.kind, e.message]).toEqual([
      "model_load",
      `model folder ${dir} is missing onnx/decoder_model_merged.onnx`,
    ]);
  });

  it("a config.json that disagrees with the graphs is reported", async () => {
    const dir = copyFixture("layers");
    const raw = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as {
      text_config: { decoder_layers: number };
    };
    const layers = raw.text_config.decoder_layers;
    raw.text_config.decoder_layers = layers + 1;
    writeFileSync(join(dir, "config.json"), JSON.stringify(raw));
    const e = await loadError(dir);
    expect(e.kind).toBe("model_load");
    expect(e.message).toBe(
      `onnx/decoder_model_merged.onnx: input past_key_values.${layers}.decoder.key is missing; the decoder has ${layers} layers but config.json says ${layers + 1} (text_config.decoder_layers)`,
    );
  });

  it("a renamed decoder input is reported", async () => {
    const dir = copyFixture("renamed");
    const path = join(dir, "onnx/decoder_model_merged.onnx");
    // Same-length rename of every occurrence keeps the protobuf and the graph valid.
    const bytes = readFileSync(path);
    const from = Buffer.from("past_key_values.1.decoder.value");
    const to = Buffer.from("past_key_values.1.decoder.valux");
    let count = 0;
    for (let i = bytes.indexOf(from); i !== -1; i = bytes.indexOf(from, i + 1)) {
      to.copy(bytes, i);
      count++;
    }
    expect(count).toBeGreaterThan(0);
    writeFileSync(path, bytes);
    const e = await loadError(dir);
    expect(e.kind).toBe("model_load");
    expect(e.message).toMatch(
      /^onnx\/decoder_model_merged\.onnx: input past_key_values\.1\.decoder\.value is missing \(the inputs are .*\); input past_key_values\.1\.decoder\.valux is not part of the Florence-2 contract$/,
    );
  });
});
