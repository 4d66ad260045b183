/**
 * Image preparation throughput: decode + Pillow-exact resize to 768x768 of `count` distinct JPEGs
 * (the bench images, 640x480, or a 1920x1080 version of them with --size 1920x1080), through the
 * preprocessing pool with 1, 2, ... threads (models/worker/preprocess-pool.ts), and on the calling
 * thread for comparison (what an inference worker spends with --preprocess-workers 0).
 *
 *   node --import tsx bench/preprocess.ts [--count 32] [--threads 1,2] [--size 640x480]
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { imageLimitDefaults } from "../models/image/index.js";
import { prepareImageOutcomes } from "../models/stages/images.js";
import { PreprocessPool } from "../models/worker/preprocess-pool.js";
import { spawnPreprocessThread } from "../models/worker/supervision.js";
import { makeBenchImages } from "./images.js";

const ROOT = new URL("..", import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    count: { type: "string", default: "32" },
    threads: { type: "string", default: "1,2" },
    size: { type: "string", default: "640x480" },
  },
});
const count = Number(values.count);
const [width, height] = values.size.split("x").map(Number) as [number, number];
const paths = await makeBenchImages(join(ROOT, "test/fixtures/images"), join(ROOT, ".cache/bench/images"), count);
const images = await Promise.all(
  paths.map(async (p) =>
    width === 640 && height === 480 ? readFile(p) : sharp(p).resize(width, height, { fit: "fill" }).jpeg().toBuffer(),
  ),
);
const target = { size: { width: 768, height: 768 }, limits: imageLimitDefaults };

function report(label: string, ms: number): void {
  const rate = (count / ms) * 1000;
  process.stdout.write(`${label}: ${count} images in ${ms.toFixed(0)} ms, ${rate.toFixed(1)} images/s\n`);
}

// On this thread, one after another: what an inference worker would spend before its next batch.
await prepareImageOutcomes([images[0]!], target, target.limits); // warm-up
let t0 = performance.now();
for (const image of images) await prepareImageOutcomes([image], target, target.limits);
report(`${values.size}, on the calling thread`, performance.now() - t0);

for (const threads of values.threads.split(",").map(Number)) {
  const pool = new PreprocessPool(threads, target, spawnPreprocessThread);
  await Promise.all(Array.from({ length: threads }, () => pool.prepare([images[0]!]))); // start + warm up
  t0 = performance.now();
  const answers = await Promise.all(images.map((image) => pool.prepare([image])));
  report(`${values.size}, ${threads} preprocessing thread(s)`, performance.now() - t0);
  if (!answers.every((a) => a.ok)) throw new Error("a preparation failed");
  await pool.close();
}
