/**
 * Batch formation under a burst: `callers` simultaneous calls (one distinct 640x480 JPEG each, the
 * bench images) through createFlorence (worker thread + scheduler), `rounds` times. Prints, per
 * round, the batches the burst ran as (engine.stats().batchSizes, rows -> count), the time from the
 * burst to the first batch's start, and the burst's wall time.
 *
 *   node --import tsx bench/burst.ts                                    # tiny fixture, 16 callers
 *   node --import tsx bench/burst.ts --model .cache/models/florence-2-base-random --tokens 8 --rounds 1
 *
 * Options: --model <folder> (default test/fixtures/tiny), --callers 16, --tokens 8 (new tokens per
 * call, greedy), --rounds 3, --max-delay-ms <n> (the scheduler's maxDelayMs; default the engine's),
 * --formation-ms <n> (the scheduler's batch formation window; default the engine's),
 * --max-batch-size <n> (default: callers; less makes a queue deeper than one batch),
 * --preprocess-workers <n> (threads that prepare images off the worker; default the engine's, 0 = on the worker).
 * A batch's start is taken from each call's onTimings: its end minus post-processing and the
 * batch's model stages (vision + encoder + decoder); the first batch is the earliest of those.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { RunTimings } from "../core/timings.js";
import { engineDefaults } from "../models/engine-options.js";
import { createFlorence, type EngineOptionsInit } from "../models/index.js";
import { makeBenchImages } from "./images.js";

const ROOT = new URL("..", import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    model: { type: "string", default: join(ROOT, "test/fixtures/tiny") },
    callers: { type: "string", default: "16" },
    tokens: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    "max-delay-ms": { type: "string" },
    "formation-ms": { type: "string" },
    "max-batch-size": { type: "string" },
    "preprocess-workers": { type: "string" },
  },
});
const callers = Number(values.callers);
const tokens = Number(values.tokens);
const rounds = Number(values.rounds);

const paths = await makeBenchImages(join(ROOT, "test/fixtures/images"), join(ROOT, ".cache/bench/images"), callers);
const images = await Promise.all(paths.map((p) => readFile(p)));
const init: EngineOptionsInit = {
  model: values.model,
  visionCacheBytes: 0,
  maxBatchSize: values["max-batch-size"] === undefined ? callers : Number(values["max-batch-size"]),
  ...(values["preprocess-workers"] === undefined ? {} : { preprocessWorkers: Number(values["preprocess-workers"]) }),
  ...(values["max-delay-ms"] === undefined ? {} : { maxDelayMs: Number(values["max-delay-ms"]) }),
  ...(values["formation-ms"] === undefined ? {} : { batchFormationMs: Number(values["formation-ms"]) }),
};
const florence = await createFlorence(init);

/** The histogram's growth between two stats() snapshots. */
function delta(before: Readonly<Record<number, number>>, after: Readonly<Record<number, number>>) {
  const out: Record<number, number> = {};
  for (const [rows, n] of Object.entries(after)) {
    const grown = n - (before[Number(rows)] ?? 0);
    if (grown > 0) out[Number(rows)] = grown;
  }
  return out;
}

// One warm-up call so that the first round does not pay the sessions' first-run costs.
await florence.run({ task: "caption" }, [images[0]!], { maxNewTokens: tokens, numBeams: 1 });
for (let round = 0; round < rounds; round++) {
  const before = (await florence.stats()).batchSizes ?? {};
  const t0 = performance.now();
  const batchStarts: number[] = [];
  await Promise.all(
    images.map(async (image) => {
      let timings: RunTimings | undefined;
      await florence.run({ task: "caption" }, [image], {
        maxNewTokens: tokens,
        minNewTokens: tokens,
        numBeams: 1,
        onTimings: (t) => {
          timings = t;
        },
      });
      const end = performance.now() - t0;
      if (timings !== undefined)
        batchStarts.push(end - timings.postprocessMs - timings.visionMs - timings.encoderMs - timings.decoderMs);
    }),
  );
  const wall = performance.now() - t0;
  const batches = delta(before, (await florence.stats()).batchSizes ?? {});
  const line =
    `round ${round + 1}: batches (rows: count) ${JSON.stringify(batches)}, ` +
    `first batch started after ${Math.min(...batchStarts).toFixed(0)} ms, burst took ${wall.toFixed(0)} ms`;
  process.stdout.write(`${line}\n`);
}
await florence.close();
process.stdout.write(
  `model ${values.model}, ${callers} callers x ${tokens} tokens, preprocessWorkers ${init.preprocessWorkers ?? engineDefaults.preprocessWorkers}\n`,
);
