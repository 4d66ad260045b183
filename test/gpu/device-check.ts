/**
 * The body of tools/gpu/device-check (run that, not this): for each model given, loads it on CPU
 * and on --device, runs the same greedy captions on both, says whether the generated token ids are
 * equal, and prints load time, single-call latency and 1/4/16-caller throughput with the time split
 * that onTimings reports. Numbers are printed for BENCHMARKS.md, never asserted.
 *
 *   node --import tsx test/gpu/device-check.ts --device cuda --model test/fixtures/tiny [--model DIR] [--tokens N]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { RunTimings } from "../../core/timings.js";
import { createFlorence } from "../../models/index.js";

const DTYPES = ["fp32", "fp16", "q8", "int8", "uint8", "q4", "q4f16", "bnb4"] as const;
const { values } = parseArgs({
  options: {
    device: { type: "string", default: "cuda" },
    model: { type: "string", multiple: true, default: [] },
    tokens: { type: "string", default: "32" },
    image: { type: "string", default: "test/fixtures/images/coffee.jpg" },
    dtype: { type: "string", default: "fp32" },
  },
});
const device = values.device;
if (device !== "cuda" && device !== "cpu" && device !== "webgpu")
  throw new Error(`--device ${device}: cpu, cuda or webgpu`);
const dtype = ((d) => {
  if (d === undefined) throw new Error(`--dtype ${values.dtype}: one of ${DTYPES.join(", ")}`);
  return d;
})(DTYPES.find((d) => d === values.dtype));
const maxNewTokens = Number(values.tokens);
const image = new Uint8Array(readFileSync(values.image));
const CALLERS = [1, 4, 16] as const;

interface Measured {
  readonly loadMs: number;
  readonly tokens: number[];
  readonly latencyMs: number;
  readonly throughput: Record<number, { tokensPerS: number; split: RunTimings }>;
}

const sum = (t: RunTimings[], k: keyof RunTimings) => t.reduce((a, x) => a + x[k], 0) / Math.max(1, t.length);

async function measure(model: string, on: "cpu" | "cuda" | "webgpu"): Promise<Measured> {
  const t0 = performance.now();
  const florence = await createFlorence({ model, executionProvider: on, dtype, offline: true });
  const loadMs = performance.now() - t0;
  try {
    const call = (tokens: number[], timings: RunTimings[]) =>
      florence.captionImage(image, {
        numBeams: 1,
        maxNewTokens,
        onToken: (t) => tokens.push(t.id),
        onTimings: (t) => timings.push(t),
      });
    await call([], []); // warm-up: first-run allocations and kernel selection
    const tokens: number[] = [];
    const t1 = performance.now();
    await call(tokens, []);
    const latencyMs = performance.now() - t1;
    const throughput: Measured["throughput"] = {};
    for (const n of CALLERS) {
      const timings: RunTimings[] = [];
      const counts = Array.from({ length: n }, () => [] as number[]);
      const t2 = performance.now();
      await Promise.all(counts.map((c) => call(c, timings)));
      const s = (performance.now() - t2) / 1000;
      const split = Object.fromEntries(
        (["queueMs", "preprocessMs", "visionMs", "encoderMs", "decoderMs", "postprocessMs"] as const).map((k) => [
          k,
          Math.round(sum(timings, k)),
        ]),
      ) as unknown as RunTimings;
      throughput[n] = { tokensPerS: counts.reduce((a, c) => a + c.length, 0) / s, split };
    }
    return { loadMs, tokens, latencyMs, throughput };
  } finally {
    await florence.close();
  }
}

const fmt = (x: number) => x.toFixed(1);
for (const model of values.model.length > 0 ? values.model : ["test/fixtures/tiny"]) {
  console.log(`\n== ${model}: ${maxNewTokens} tokens, greedy, ${values.dtype}`);
  const cpu = await measure(model, "cpu");
  const dev = device === "cpu" ? cpu : await measure(model, device);
  const same = cpu.tokens.length === dev.tokens.length && cpu.tokens.every((t, i) => t === dev.tokens[i]);
  console.log(
    `tokens ${device} == cpu: ${same} (${dev.tokens.length} tokens: ${dev.tokens.slice(0, 12).join(" ")} ...)`,
  );
  if (!same) console.log(`cpu tokens: ${cpu.tokens.join(" ")}\n${device} tokens: ${dev.tokens.join(" ")}`);
  for (const [name, m] of [
    ["cpu", cpu],
    [device, dev],
  ] as const) {
    console.log(`${name}: load ${fmt(m.loadMs)} ms, one call ${fmt(m.latencyMs)} ms`);
    for (const n of CALLERS) {
      const r = m.throughput[n];
      if (r)
        console.log(
          `  ${String(n).padStart(2)} callers: ${fmt(r.tokensPerS)} tokens/s; mean split ${JSON.stringify(r.split)}`,
        );
    }
    if (device === "cpu") break;
  }
}
