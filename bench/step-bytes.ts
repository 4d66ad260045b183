/**
 * Bytes that cross between the host and the execution provider per cached decoder step, computed
 * from the ONNX contract (docs/onnx-contract.md sections 4.4 and 5) and checked on the tiny fixture
 * by counting the bytes of every tensor the stepper feeds to and gets back from onnxruntime.
 * onnxruntime-node has no IO binding, so on a GPU each of these bytes is one host<->device copy.
 *
 *   node --import tsx bench/step-bytes.ts            # prints the Markdown table of BENCHMARKS.md
 *
 * A step at past length t with r rows (every row its own request), encoder length S, element size
 * b (4 for fp32, 2 for fp16), L decoder layers, H heads of size h, width d, vocabulary V:
 *   host -> device: embed_tokens input_ids 8r; decoder inputs_embeds r*d*b, encoder_hidden_states
 *                   r*S*d*b, encoder_attention_mask 8rS, use_cache_branch 1, self past 2L*r*H*t*h*b,
 *                   cross past 2L*r*H*S*h*b
 *   device -> host: embed_tokens output r*d*b; logits r*V*b, self present 2L*r*H*(t+1)*h*b, and
 *                   when every output is fetched also the cross present.*: empty placeholders
 *                   [0, H, 1, h] in the onnx-community (Optimum-merged) layout, 2L*r*H*S*h*b in an
 *                   export that passes the cross K/V through.
 */
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { createOrtDecoderStepper, type StepperSession } from "../models/generation/ort-stepper.js";

const ROOT = new URL("..", import.meta.url).pathname;

interface Dims {
  readonly name: string;
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  readonly d: number;
  readonly vocab: number;
}

/** Sizes from the configs (docs/onnx-contract.md section 10). */
const MODELS: readonly Dims[] = [
  { name: "florence-2-base", layers: 6, heads: 12, headDim: 64, d: 768, vocab: 51289 },
  { name: "florence-2-large", layers: 12, heads: 16, headDim: 64, d: 1024, vocab: 51289 },
];
const TINY: Dims = { name: "tiny fixture", layers: 2, heads: 4, headDim: 16, d: 64, vocab: 2025 };

/** Encoder length: 577 image tokens + a 13-token prompt (the <OD> prompt is 13 with <s> and </s>). */
const S = 590;

interface StepBytes {
  readonly toDevice: number;
  /** Back to the host when only logits and self present.* are fetched. */
  readonly fetched: number;
  /** Back to the host when every output is fetched, cross present.* as placeholders / passed through. */
  readonly allPlaceholders: number;
  readonly allPassThrough: number;
}

export function stepBytes(m: Dims, rows: number, past: number, encoderLength: number, elementBytes: number): StepBytes {
  const { layers: L, heads: H, headDim: h, d, vocab: V } = m;
  const b = elementBytes;
  const selfPast = 2 * L * rows * H * past * h * b;
  const crossPast = 2 * L * rows * H * encoderLength * h * b;
  const toDevice = 8 * rows + rows * d * b + rows * encoderLength * d * b + 8 * rows * encoderLength + 1;
  const fetched = rows * d * b + rows * V * b + 2 * L * rows * H * (past + 1) * h * b;
  const placeholders = 2 * L * 0 * H * 1 * h * b;
  return {
    toDevice: toDevice + selfPast + crossPast,
    fetched,
    allPlaceholders: fetched + placeholders,
    allPassThrough: fetched + crossPast,
  };
}

const tensorBytes = (t: Tensor): number => (t.type === "bool" ? t.size : (t.data as ArrayBufferView).byteLength);

/** Counts the bytes of a session's feeds and results; `ignoreFetches` runs it as before (all outputs). */
function counting(session: InferenceSession, ignoreFetches: boolean) {
  const counter = { in: 0, out: 0 };
  const wrapped: StepperSession = {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    run: (async (feeds: Record<string, Tensor>, fetches?: string[]) => {
      for (const t of Object.values(feeds)) counter.in += tensorBytes(t);
      const out = await (fetches === undefined || ignoreFetches ? session.run(feeds) : session.run(feeds, fetches));
      for (const t of Object.values(out)) counter.out += tensorBytes(t);
      return out;
    }) as StepperSession["run"],
  };
  return { counter, wrapped };
}

/** Measured bytes of the step at past length `past` on the tiny fixture, with `rows` rows. */
async function measure(rows: number, past: number, ignoreFetches: boolean): Promise<{ in: number; out: number }> {
  const dir = join(ROOT, "test/fixtures/tiny/onnx");
  const embed = counting(await InferenceSession.create(join(dir, "embed_tokens.onnx")), ignoreFetches);
  const decoder = counting(await InferenceSession.create(join(dir, "decoder_model_merged.onnx")), ignoreFetches);
  const hidden = Float32Array.from({ length: rows * S * TINY.d }, (_, i) => Math.sin(i));
  const stepper = createOrtDecoderStepper({
    embedTokens: embed.wrapped,
    decoder: decoder.wrapped,
    encoderHiddenStates: new Tensor("float32", hidden, [rows, S, TINY.d]),
    encoderAttentionMask: new Tensor("int64", new BigInt64Array(rows * S).fill(1n), [rows, S]),
  });
  const all = Array.from({ length: rows }, (_, r) => r);
  const tokens = all.map(() => 2);
  await stepper.step({ tokens, rowSources: undefined, rowRequests: all });
  for (let t = 1; t < past; t++) await stepper.step({ tokens, rowSources: all, rowRequests: all });
  for (const c of [embed.counter, decoder.counter]) c.in = c.out = 0;
  await stepper.step({ tokens, rowSources: all, rowRequests: all });
  return { in: embed.counter.in + decoder.counter.in, out: embed.counter.out + decoder.counter.out };
}

const MB = (n: number): string => (n / 1e6).toFixed(n < 1e6 ? 3 : 1);
const PAST = 128;
const lines: string[] = [];
lines.push(
  `Per cached decoder step at past length ${PAST}, encoder length ${S}, each row its own request (MB = 10^6 bytes):`,
  "",
  "| model | dtype | rows | host -> device | device -> host, every output | device -> host, fetched (now) |",
  "| --- | --- | --- | --- | --- | --- |",
);
for (const m of MODELS) {
  for (const [dtype, b] of [
    ["fp32", 4],
    ["fp16", 2],
  ] as const) {
    for (const rows of [1, 4, 16]) {
      const s = stepBytes(m, rows, PAST, S, b);
      lines.push(
        `| ${m.name} | ${dtype} | ${rows} | ${MB(s.toDevice)} | ${MB(s.allPlaceholders)} (pass-through export: ${MB(s.allPassThrough)}) | ${MB(s.fetched)} |`,
      );
    }
  }
}
lines.push(
  "",
  "Check on the tiny fixture (fp32, bytes counted at the onnxruntime-node boundary, step at past length 8):",
  "",
  "| rows | host -> device formula / measured | device -> host before (all outputs) formula / measured | after (fetched) formula / measured |",
  "| --- | --- | --- | --- |",
);
let mismatches = 0;
for (const rows of [1, 4, 16]) {
  const f = stepBytes(TINY, rows, 8, S, 4);
  const before = await measure(rows, 8, true);
  const after = await measure(rows, 8, false);
  if (before.in !== f.toDevice || after.in !== f.toDevice) mismatches++;
  if (before.out !== f.allPlaceholders || after.out !== f.fetched) mismatches++;
  lines.push(
    `| ${rows} | ${f.toDevice} / ${after.in} | ${f.allPlaceholders} / ${before.out} | ${f.fetched} / ${after.out} |`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
if (mismatches > 0) {
  process.stderr.write(`${mismatches} measured counts differ from the formula\n`);
  process.exitCode = 1;
}
