/**
 * One dtype of a model folder through createFlorence (worker + scheduler), vision cache off:
 *   node --import tsx bench/dtypes.ts <fp32|fp16|q8> [model folder]
 * (default folder: .cache/models/florence-2-base-random-variants, made by
 * `tools/reference/export_model.py --preset base --variants quantized --out <that folder>`).
 * Prints one JSON line: load time, `<OD>` latency with exactly 64 tokens on two images and its
 * stage times, four concurrent `<CAPTION>` calls of exactly 64 tokens, and the process RSS.
 * Run it once per dtype, each in its own process.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createFlorence, type ModelDtype } from "../models/index.js";

const dtype = (process.argv[2] ?? "fp32") as ModelDtype;
const model = process.argv[3] ?? ".cache/models/florence-2-base-random-variants";
const dir = ".cache/bench/images";
const files = (await readdir(dir)).filter((f) => f.endsWith(".jpg")).slice(0, 5);
if (files.length < 5) throw new Error(`${dir}: run \`npm run bench\` once first, it makes the images`);
const images = await Promise.all(files.map((f) => readFile(join(dir, f))));
const exactly = (n: number) => ({ maxNewTokens: n, minNewTokens: n, numBeams: 1 });

const t0 = performance.now();
const florence = await createFlorence({ model, dtype, visionCacheBytes: 0 });
const loadMs = performance.now() - t0;
await florence.run({ task: "caption" }, [images[0]!], exactly(2)); // warm-up
const odLatencyMs: number[] = [];
const odStages: string[] = [];
for (const i of [1, 2]) {
  const t = performance.now();
  await florence.run({ task: "object_detection" }, [images[i]!], {
    ...exactly(64),
    onTimings: (s) =>
      odStages.push(
        `vision ${s.visionMs.toFixed(0)} / encoder ${s.encoderMs.toFixed(0)} / decoder ${s.decoderMs.toFixed(0)} ms`,
      ),
  });
  odLatencyMs.push(Math.round(performance.now() - t));
}
const t = performance.now();
await Promise.all([1, 2, 3, 4].map((i) => florence.run({ task: "caption" }, [images[i]!], exactly(64))));
const fourCaptionsMs = Math.round(performance.now() - t);
const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
await florence.close();
console.log(
  JSON.stringify({ dtype, model, loadMs: Math.round(loadMs), odLatencyMs, odStages, fourCaptionsMs, rssMiB }),
);
