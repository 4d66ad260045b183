/**
 * transformers.js 4.3.1 on the same ONNX folder, as its users run Florence-2: processor(image,
 * prompt) then model.generate, greedy (it has no beam search). Loaded strictly offline. Its
 * session.run() blocks the event loop, so concurrent callers are served one after another.
 */
import { RawImage, Tensor, TextStreamer } from "@huggingface/transformers";
import { installFetchGuard, loadTransformersJs } from "../../test/engine/helpers/transformers-js.js";
import {
  type MixedTask,
  median,
  peakRssMiB,
  readInput,
  report,
  requestsAt,
  throughput,
  timeMedian,
} from "../common.js";

const SYSTEM = "transformers.js 4.3.1";
const input = readInput();
const { plan } = input;

installFetchGuard();
const t0 = performance.now();
const { model, processor } = await loadTransformersJs(input.model);
report({ system: SYSTEM, name: "load", value: performance.now() - t0, unit: "ms" });

/** One request; checks that exactly `tokens` tokens were generated (min = max new tokens). */
async function generate(task: string, image: number, tokens: number, onFirstToken?: () => void): Promise<void> {
  const raw = await RawImage.read(input.images[image % input.images.length]!);
  const inputs = (await processor(raw, task)) as Record<string, unknown>;
  const tokenizer = processor.tokenizer;
  // skip_prompt drops the first put() (the decoder start token); each later put() is one new token.
  const streamer =
    onFirstToken === undefined || tokenizer === undefined
      ? undefined
      : new TextStreamer(tokenizer, {
          skip_prompt: true,
          token_callback_function: onFirstToken,
          callback_function: () => {},
        });
  const out = await model.generate({
    ...inputs,
    max_new_tokens: tokens,
    min_new_tokens: tokens,
    num_beams: 1,
    do_sample: false,
    ...(streamer ? { streamer } : {}),
  });
  if (!(out instanceof Tensor) || out.dims[1] !== tokens + 1) {
    throw new Error(
      `transformers.js generated ${out instanceof Tensor ? out.dims[1] : "?"} ids, expected ${tokens + 1}`,
    );
  }
}

for (const [task, tokens] of [
  ["<CAPTION>", plan.captionTokens],
  ["<OD>", plan.odTokens],
] as const) {
  const { ms, runs } = await timeMedian(plan.repeats, () => generate(task, 0, tokens));
  report({ system: SYSTEM, name: `latency ${task} greedy ${tokens} tokens`, value: ms, unit: "ms", detail: { runs } });
}

// Time to first token: the first token its TextStreamer reports.
{
  const ttft: number[] = [];
  for (let i = 0; i <= plan.repeats; i++) {
    const start = performance.now();
    let first = 0;
    await generate("<CAPTION>", i, plan.captionTokens, () => {
      first ||= performance.now() - start;
    });
    if (i > 0) ttft.push(first);
  }
  report({
    system: SYSTEM,
    name: "time to first token <CAPTION>",
    value: median(ttft),
    unit: "ms",
    detail: { runs: ttft.map(Math.round) },
  });
}

for (const callers of plan.concurrency) {
  const r = await throughput(callers, requestsAt(plan, callers), (task: MixedTask, i) =>
    generate(task, i, plan.decodeHeavyTokens),
  );
  report({
    system: SYSTEM,
    name: `throughput ${callers} callers, mixed, ${plan.decodeHeavyTokens} tokens`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds },
  });
}
{
  const r = await throughput(plan.shortCallers, requestsAt(plan, plan.shortCallers), (_task, i) =>
    generate("<CAPTION>", i, plan.shortTokens),
  );
  report({
    system: SYSTEM,
    name: `throughput ${plan.shortCallers} callers, <CAPTION>, ${plan.shortTokens} tokens`,
    value: r.requestsPerSecond,
    unit: "req/s",
    detail: { seconds: r.seconds },
  });
}
report({ system: SYSTEM, name: "peak RSS", value: peakRssMiB(), unit: "MiB" });
await model.dispose();
