/** Turns the collected measurements into the Markdown that goes into BENCHMARKS.md. */
import type { BenchPlan, Measurement } from "./common.js";

export interface ReportInput {
  readonly plan: BenchPlan;
  readonly machine: string;
  readonly measurements: readonly Measurement[];
  readonly notes: readonly string[];
  readonly totalSeconds?: number;
}

const ENGINE = "ours (engine, in process)";
const SERVICE = "ours (service over gRPC)";
const TJS = "transformers.js 4.3.1";
const TORCH = "PyTorch reference (transformers)";
const MACHINE = "machine";

function format(m: Measurement | undefined): string {
  if (m === undefined) return "";
  const digits = m.unit === "req/s" || m.unit === "frames/s" ? 3 : m.value >= 100 ? 0 : 1;
  return `${m.value.toFixed(digits)} ${m.unit}`;
}

export function renderReport(r: ReportInput): string {
  const find = (system: string, name: string) => r.measurements.find((m) => m.system === system && m.name === name);
  const value = (system: string, name: string) => find(system, name)?.value;
  const p = r.plan;
  const top = Math.max(...p.concurrency);
  const systems = [ENGINE, SERVICE, TJS, TORCH].filter((s) => r.measurements.some((m) => m.system === s));
  const names = [...new Set(r.measurements.filter((m) => m.system !== MACHINE).map((m) => m.name))];

  const lines = [
    `### ${p.mode} run`,
    "",
    `Machine: ${r.machine}. Model: the base preset (florence-2-base dimensions, random weights, fp32). Every request generates exactly its token count (min_new_tokens = max_new_tokens), greedy unless it says beam-3. Vision cache off in every comparison row.`,
    "",
    `| measurement | ${systems.join(" | ")} |`,
    `| --- | ${systems.map(() => "---").join(" | ")} |`,
    ...names.map((name) => `| ${name} | ${systems.map((s) => format(find(s, name))).join(" | ")} |`),
    "",
  ];

  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;
  const target = (what: string, got: number | undefined, op: "<=" | ">=", want: number) => {
    if (got === undefined) return `| ${what} | not measured | ${op} ${want} | |`;
    const met = op === "<=" ? got <= want : got >= want;
    return `| ${what} | ${got.toFixed(2)} | ${op} ${want} | ${met ? "met" : "MISSED"} |`;
  };
  const heavy = `throughput ${top} callers, mixed, ${p.decodeHeavyTokens} tokens`;
  const short = `throughput ${p.shortCallers} callers, <CAPTION>, ${p.shortTokens} tokens`;
  const three = `(${p.captionTokens} tokens each)`;
  lines.push(
    "| target (ratio in this run) | got | want | |",
    "| --- | --- | --- | --- |",
    target(
      `<OD> ${p.odTokens} tokens latency, ours / transformers.js`,
      ratio(
        value(ENGINE, `latency <OD> greedy ${p.odTokens} tokens`),
        value(TJS, `latency <OD> greedy ${p.odTokens} tokens`),
      ),
      "<=",
      0.85,
    ),
    target(
      `${top} callers x ${p.decodeHeavyTokens} tokens, service / transformers.js`,
      ratio(value(SERVICE, heavy), value(TJS, heavy)),
      ">=",
      3,
    ),
    target(
      `${top} callers x ${p.decodeHeavyTokens} tokens, service batching on / off`,
      ratio(value(SERVICE, heavy), value(SERVICE, `${heavy}, batching off`)),
      ">=",
      2.5,
    ),
    target(
      `${p.shortCallers} callers <CAPTION> ${p.shortTokens} tokens, service / transformers.js`,
      ratio(value(SERVICE, short), value(TJS, short)),
      ">=",
      1.3,
    ),
    target(
      "3 tasks on one image: one call / three calls",
      ratio(
        value(ENGINE, `3 tasks on one image, one call ${three}`),
        value(ENGINE, `3 tasks on one image, three calls ${three}`),
      ),
      "<=",
      0.65,
    ),
    target(
      `beam-3 / greedy latency, <OD> ${p.odTokens} tokens (engine)`,
      ratio(
        value(ENGINE, `latency <OD> beam-3 ${p.odTokens} tokens`),
        value(ENGINE, `latency <OD> greedy ${p.odTokens} tokens`),
      ),
      "<=",
      1.6,
    ),
    target(
      `PyTorch beam-3 / ours beam-3, <OD> ${p.odTokens} tokens`,
      ratio(
        value(TORCH, `latency <OD> beam-3 ${p.odTokens} tokens`),
        value(ENGINE, `latency <OD> beam-3 ${p.odTokens} tokens`),
      ),
      ">=",
      2,
    ),
    target(
      `unary over gRPC / in process, <OD> ${p.odTokens} tokens`,
      ratio(
        value(SERVICE, `latency <OD> greedy ${p.odTokens} tokens`),
        value(ENGINE, `latency <OD> greedy ${p.odTokens} tokens`),
      ),
      "<=",
      1.05,
    ),
    target(
      "server event-loop lag p99 at full load, ms",
      value(SERVICE, `server event-loop lag p99, ${top} callers at full load`),
      "<=",
      20,
    ),
    target(
      "peak RSS of the server / (1.5 x model files + 500 MB)",
      ratio(
        value(SERVICE, "peak RSS (server process)"),
        (() => {
          const files = value(MACHINE, "model files (fp32 .onnx)");
          return files === undefined ? undefined : 1.5 * files + 500 / 1.048576;
        })(),
      ),
      "<=",
      1,
    ),
    "",
  );

  const bandwidth = value(MACHINE, "memory bandwidth (copy, read + write)");
  const weights = value(MACHINE, "decoder weight bytes (decoder_model_merged.onnx)");
  const matmul = value(MACHINE, "matmul rate 577x768x3072 (onnxruntime, all cores)");
  const flops = value(TORCH, "vision encoder FLOPs (torch FlopCounterMode)");
  const step = value(MACHINE, "decoder step, 1 rows (median of 10 cached steps)");
  const step16 = value(MACHINE, "decoder step, 16 rows (median of 10 cached steps)");
  const ttft = value(ENGINE, "time to first token <CAPTION>");
  lines.push("Roofline:", "");
  if (bandwidth !== undefined && weights !== undefined && step !== undefined) {
    const bound = weights / bandwidth; // MB / (GB/s) = ms
    lines.push(
      `- decode step at batch 1: ${step.toFixed(1)} ms; decoder weights ${weights.toFixed(0)} MB / ${bandwidth.toFixed(1)} GB/s (copy bandwidth, read + write) = ${bound.toFixed(1)} ms (${(step / bound).toFixed(2)}x).${step16 === undefined ? "" : ` 16 rows take ${step16.toFixed(1)} ms per step, ${(step16 / step).toFixed(1)}x one row.`}`,
    );
  }
  if (flops !== undefined && matmul !== undefined && ttft !== undefined) {
    const bound = flops / 1e9 / matmul;
    const vision = value(MACHINE, "vision encoder, 1 image, all cores");
    lines.push(
      `- vision encoder: ${(flops / 1e9).toFixed(0)} GFLOP (${(flops / 2e9).toFixed(0)} G multiply-adds) / ${matmul.toFixed(0)} GFLOP/s = ${(bound * 1000).toFixed(0)} ms; measured ${vision === undefined ? "?" : vision.toFixed(0)} ms for one image; ours reaches the first token after ${ttft.toFixed(0)} ms (vision + encoder + one step).`,
    );
  }
  const encoderFlops = value(MACHINE, "text encoder FLOPs per request (analytic)");
  const measured = value(SERVICE, heavy);
  if (
    flops !== undefined &&
    matmul !== undefined &&
    encoderFlops !== undefined &&
    weights !== undefined &&
    bandwidth !== undefined &&
    measured !== undefined
  ) {
    // Per request at `top` callers: vision + encoder at the matmul rate; each decoder step reads the
    // weights once for the whole batch and does 2 FLOP per weight per row.
    const computeS = (flops + encoderFlops + 2 * ((weights * 1e6) / 4) * p.decodeHeavyTokens) / (matmul * 1e9);
    const memoryS = (p.decodeHeavyTokens * (weights / bandwidth / 1000)) / top;
    const bound = 1 / (computeS + memoryS);
    lines.push(
      `- throughput at ${top} callers x ${p.decodeHeavyTokens} tokens: roofline ${bound.toFixed(3)} req/s (per request ${computeS.toFixed(2)} s of matmul work + ${memoryS.toFixed(2)} s of weight reads); the service measured ${measured.toFixed(3)} req/s, ${(bound / measured).toFixed(2)}x below it (target: within 1.5x).`,
    );
  }
  lines.push(
    "",
    `Systems (wall time): ${r.notes.join("; ")}.${r.totalSeconds === undefined ? "" : ` Total ${r.totalSeconds.toFixed(0)} s.`}`,
    "",
  );
  return `${lines.join("\n")}\n`;
}
