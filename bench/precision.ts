/**
 * fp16 and int8 (`_quantized`) model files through the same engine path as fp32: their speed and
 * how many generated tokens agree with fp32, on a model folder that has all three (default: the
 * tiny fixture). `node --import tsx bench/precision.ts [model folder]`.
 *
 * Agreement is per request: the share of fp32's output pieces (location tokens and words of the raw text) that the variant reproduces
 * before its first different token (after that the sequences go separate ways), averaged.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createFlorence, type ModelDtype, TASK_NAMES, TASKS, type TaskRequest } from "../models/index.js";

const model = process.argv[2] ?? new URL("../test/fixtures/tiny", import.meta.url).pathname;
const imageDir = new URL("../test/fixtures/images/", import.meta.url).pathname;
const files = (await readdir(imageDir)).filter((f) => /\.(jpe?g|png|webp)$/.test(f));
const images = await Promise.all(files.map((f) => readFile(join(imageDir, f))));
const MAX_NEW_TOKENS = 24;

/** Every task on every image (text and region tasks with a fixed input). */
function requests(): TaskRequest[] {
  return TASK_NAMES.map((task) => {
    const spec = TASKS[task];
    if (spec.input === "text") return { task, text: "a cup" };
    if (spec.input === "region") return { task, region: [2, 2, 8, 6] as const };
    return { task };
  });
}

async function run(dtype: ModelDtype): Promise<{ tokens: string[][]; ms: number }> {
  const florence = await createFlorence({ model, dtype, visionCacheBytes: 0 });
  const tokens: string[][] = [];
  const t0 = performance.now();
  for (const image of images) {
    for (const request of requests()) {
      const [r] = await florence.run(request, [image], { maxNewTokens: MAX_NEW_TOKENS, numBeams: 1 });
      tokens.push(r!.rawText.split(/(?=<)|\s+/));
    }
  }
  const ms = performance.now() - t0;
  await florence.close();
  return { tokens, ms };
}

const reference = await run("fp32");
console.log(`| dtype | requests | wall time | agreement with fp32 (prefix of text pieces) | identical outputs |`);
console.log(`| --- | --- | --- | --- | --- |`);
console.log(`| fp32 | ${reference.tokens.length} | ${reference.ms.toFixed(0)} ms | 100% | 100% |`);
for (const dtype of ["fp16", "q8"] as const) {
  const variant = await run(dtype);
  let share = 0;
  let identical = 0;
  variant.tokens.forEach((t, i) => {
    const ref = reference.tokens[i]!;
    let same = 0;
    while (same < ref.length && t[same] === ref[same]) same++;
    share += same / ref.length;
    if (same === ref.length && t.length === ref.length) identical++;
  });
  const n = variant.tokens.length;
  console.log(
    `| ${dtype} | ${n} | ${variant.ms.toFixed(0)} ms | ${((100 * share) / n).toFixed(1)}% | ${((100 * identical) / n).toFixed(1)}% |`,
  );
}
