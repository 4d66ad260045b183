/**
 * This machine's limits, for the roofline lines: memory bandwidth (a 256 MiB copy, bytes read plus
 * written per second, best of five) and onnxruntime's matrix-multiply rate (bench/assets/matmul.onnx
 * at the shapes of the vision encoder's and decoder's big layers, all cores), and the bytes of the
 * decoder weights a batch-1 decode step must read. Also the cost of one cached decoder step by
 * batch size (what cross-request batching buys) and of the vision encoder by thread count.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { createOrtDecoderStepper } from "../../models/generation/index.js";
import { median, readInput, report } from "../common.js";

const SYSTEM = "machine";
const input = readInput();

{
  const size = 256 * 1024 * 1024;
  const src = Buffer.alloc(size, 1);
  const dst = Buffer.alloc(size);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    src.copy(dst);
    best = Math.min(best, performance.now() - t0);
  }
  report({
    system: SYSTEM,
    name: "memory bandwidth (copy, read + write)",
    value: (2 * size) / (best / 1000) / 1e9,
    unit: "GB/s",
  });
}

{
  const session = await ort.InferenceSession.create(new URL("../assets/matmul.onnx", import.meta.url).pathname, {
    intraOpNumThreads: 0,
  });
  for (const [m, k, n] of [
    [577, 768, 3072],
    [1024, 1024, 1024],
  ] as const) {
    const a = new ort.Tensor("float32", new Float32Array(m * k).fill(0.5), [m, k]);
    const b = new ort.Tensor("float32", new Float32Array(k * n).fill(0.25), [k, n]);
    await session.run({ a, b });
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await session.run({ a, b });
      best = Math.min(best, performance.now() - t0);
    }
    report({
      system: SYSTEM,
      name: `matmul rate ${m}x${k}x${n} (onnxruntime, all cores)`,
      value: (2 * m * k * n) / (best / 1000) / 1e9,
      unit: "GFLOP/s",
    });
  }
  await session.release();
}

{
  const onnx = join(input.model, "onnx");
  let bytes = (await stat(join(onnx, "decoder_model_merged.onnx"))).size;
  bytes += await stat(join(onnx, "decoder_model_merged.onnx_data")).then(
    (s) => s.size,
    () => 0,
  );
  report({ system: SYSTEM, name: "decoder weight bytes (decoder_model_merged.onnx)", value: bytes / 1e6, unit: "MB" });
  let files = 0;
  for (const f of ["vision_encoder.onnx", "embed_tokens.onnx", "encoder_model.onnx", "decoder_model_merged.onnx"])
    files += (await stat(join(onnx, f))).size;
  report({ system: SYSTEM, name: "model files (fp32 .onnx)", value: files / 2 ** 20, unit: "MiB" });
  // The text encoder over 577 image tokens + a short prompt (~590 positions): 2 FLOP per weight per
  // position plus attention (QK^T and AV: 4 * positions^2 * d per layer). Read from config.json.
  const config = JSON.parse(await readFile(join(input.model, "config.json"), "utf8")) as {
    text_config?: { d_model?: number; encoder_layers?: number; encoder_ffn_dim?: number };
  };
  const d = config.text_config?.d_model ?? 768;
  const layers = config.text_config?.encoder_layers ?? 6;
  const ffn = config.text_config?.encoder_ffn_dim ?? 4 * d;
  const positions = 590;
  const perLayer = 2 * positions * (4 * d * d + 2 * d * ffn) + 4 * positions * positions * d;
  report({ system: SYSTEM, name: "text encoder FLOPs per request (analytic)", value: layers * perLayer, unit: "FLOP" });
}

// One cached decoder step (embed + decoder_model_merged) at 1, 4 and 16 rows, on 580 encoder positions.
{
  const onnx = join(input.model, "onnx");
  const embed = await ort.InferenceSession.create(join(onnx, "embed_tokens.onnx"), { intraOpNumThreads: 0 });
  const decoder = await ort.InferenceSession.create(join(onnx, "decoder_model_merged.onnx"), { intraOpNumThreads: 0 });
  const dModel = (
    decoder.inputMetadata.find((m) => m.name === "encoder_hidden_states") as
      | { shape?: readonly (number | string)[] }
      | undefined
  )?.shape?.[2];
  const d = typeof dModel === "number" ? dModel : 768;
  for (const rows of [1, 4, 16]) {
    const positions = 580;
    const states = new ort.Tensor(
      "float32",
      Float32Array.from({ length: rows * positions * d }, (_, i) => Math.sin(i) * 0.5),
      [rows, positions, d],
    );
    const mask = new ort.Tensor("int64", new BigInt64Array(rows * positions).fill(1n), [rows, positions]);
    const stepper = createOrtDecoderStepper({
      embedTokens: embed,
      decoder,
      encoderHiddenStates: states,
      encoderAttentionMask: mask,
    });
    const ids = Array.from({ length: rows }, (_, i) => i);
    const times: number[] = [];
    for (let step = 0; step < 14; step++) {
      const t0 = performance.now();
      await stepper.step({
        tokens: ids.map(() => 100 + step),
        rowSources: step === 0 ? undefined : ids,
        rowRequests: ids,
      });
      if (step >= 4) times.push(performance.now() - t0);
    }
    report({
      system: SYSTEM,
      name: `decoder step, ${rows} rows (median of 10 cached steps)`,
      value: median(times),
      unit: "ms",
    });
  }
  await Promise.all([embed.release(), decoder.release()]);
}

// The vision encoder on one image by intra-op thread count (0 = onnxruntime's default: all cores).
{
  const vision = join(input.model, "onnx", "vision_encoder.onnx");
  const pixels = new ort.Tensor(
    "float32",
    Float32Array.from({ length: 3 * 768 * 768 }, (_, i) => Math.cos(i)),
    [1, 3, 768, 768],
  );
  for (const threads of [0, 1]) {
    const session = await ort.InferenceSession.create(vision, threads === 0 ? {} : { intraOpNumThreads: threads });
    await session.run({ pixel_values: pixels });
    const t0 = performance.now();
    await session.run({ pixel_values: pixels });
    report({
      system: SYSTEM,
      name: `vision encoder, 1 image, ${threads === 0 ? "all cores" : `${threads} thread`}`,
      value: performance.now() - t0,
      unit: "ms",
    });
    if (threads === 0) {
      // The same images as one batch of 4: what batching the vision encoder buys on this machine.
      const four = new ort.Tensor("float32", new Float32Array(4 * pixels.size).fill(0.1), [4, 3, 768, 768]);
      const t1 = performance.now();
      await session.run({ pixel_values: four });
      report({
        system: SYSTEM,
        name: "vision encoder, batch of 4, per image, all cores",
        value: (performance.now() - t1) / 4,
        unit: "ms",
      });
    }
    await session.release();
  }
}
