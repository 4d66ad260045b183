/**
 * Cross-request batching and the vision-feature cache through the worker thread, on the tiny
 * fixture: concurrent calls with different tasks, prompt lengths, beams and output lengths share
 * batches and get the same answers as when each runs alone, with fewer decoder passes; repeated
 * images skip the vision encoder; a cancelled call leaves its batch at the next step.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFlorence,
  type Florence,
  type GenerationOptions,
  type ImageInput,
  type TaskRequest,
  type TaskResult,
} from "../../models/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);

let batched: Florence;
let solo: Florence;
let coffee: Uint8Array;
let astronaut: Uint8Array;
let chelsea: Uint8Array;

beforeAll(async () => {
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
  astronaut = await readFile(new URL("astronaut_tall.webp", IMAGES));
  chelsea = await readFile(new URL("chelsea_alpha.png", IMAGES));
  // A long maxDelayMs so that calls started together surely share a batch.
  batched = await createFlorence({ model: MODEL, maxBatchSize: 32, maxDelayMs: 200, visionCacheBytes: 0 });
  solo = await createFlorence({ model: MODEL, maxBatchSize: 1, maxDelayMs: 0, visionCacheBytes: 0 });
});

afterAll(async () => {
  await Promise.all([batched?.close(), solo?.close()]);
});

interface Call {
  readonly request: TaskRequest;
  readonly images: () => ImageInput[];
  readonly options: GenerationOptions;
}

/** Different tasks, prompt lengths, images, beam counts and output lengths. */
const CALLS: readonly Call[] = [
  { request: { task: "caption" }, images: () => [coffee], options: { maxNewTokens: 9, numBeams: 1 } },
  {
    request: { task: "object_detection" },
    images: () => [astronaut, chelsea],
    options: { maxNewTokens: 17, numBeams: 1 },
  },
  { request: { task: "ocr" }, images: () => [coffee], options: { maxNewTokens: 12, numBeams: 3 } },
  {
    request: { task: "phrase_grounding", text: "a cat sitting on a red sofa next to a cup" },
    images: () => [chelsea],
    options: { maxNewTokens: 14, numBeams: 2 },
  },
  {
    request: { task: "region_to_category", region: [10, 20, 300, 200] },
    images: () => [coffee],
    options: { maxNewTokens: 5, numBeams: 1 },
  },
  { request: { task: "more_detailed_caption" }, images: () => [astronaut], options: { maxNewTokens: 20, numBeams: 1 } },
];

const runCall = (engine: Florence, c: Call): Promise<TaskResult[]> => engine.run(c.request, c.images(), c.options);

/** What must not depend on the batch: the tokens, and the confidences up to float noise. */
function comparable(results: readonly TaskResult[][]): unknown {
  return JSON.parse(
    JSON.stringify(results, (key, value: unknown) =>
      key === "confidence" && typeof value === "number" ? Math.round(value * 1e4) / 1e4 : value,
    ),
  );
}

describe("cross-request batching", () => {
  it("concurrent mixed calls share batches, answer exactly as alone, with fewer decoder passes", async () => {
    const soloBefore = await solo.stats();
    const alone: TaskResult[][] = [];
    for (const c of CALLS) alone.push(await runCall(solo, c));
    const soloAfter = await solo.stats();

    // The calls hold 10 decoder rows: with maxBatchSize 10 and an endless maxDelayMs, the batch
    // starts exactly when the last call's items are queued, however slowly this machine decodes images.
    const rows = CALLS.reduce((n, c) => n + c.images().length * (c.options.numBeams ?? 3), 0);
    expect(rows).toBe(10);
    const full = await createFlorence({ model: MODEL, maxBatchSize: rows, maxDelayMs: 600_000, visionCacheBytes: 0 });
    const before = await full.stats();
    const together = await Promise.all(CALLS.map((c) => runCall(full, c)));
    const after = await full.stats();
    await full.close();

    expect(comparable(together)).toEqual(comparable(alone));
    const items = CALLS.reduce((n, c) => n + c.images().length, 0);
    expect(after.batchedItems - before.batchedItems).toBe(items);
    // All seven items (ten rows) joined one batch; alone, every item is a batch of its own.
    expect(after.batches - before.batches).toBe(1);
    expect(soloAfter.batches - soloBefore.batches).toBe(items);
    // Through the worker, the batch-size counts (florence2_batch_size) say the same: one batch of 10 rows.
    expect((after.batchSizes?.[rows] ?? 0) - (before.batchSizes?.[rows] ?? 0)).toBe(1);
    // One decoder pass per step of the longest item instead of one per step of every item.
    const batchedSteps = after.decoderSteps - before.decoderSteps;
    const soloSteps = soloAfter.decoderSteps - soloBefore.decoderSteps;
    expect(batchedSteps).toBeLessThanOrEqual(20);
    expect(soloSteps).toBeGreaterThan(3 * batchedSteps);
    // Finished rows leave: fewer rows than (longest output x all rows).
    expect(after.decoderRows - before.decoderRows).toBe(soloAfter.decoderRows - soloBefore.decoderRows);
  });

  it("a call that fails validation does not disturb the calls it would have shared a batch with", async () => {
    const good = runCall(batched, CALLS[0]!);
    const bad = batched.run({ task: "phrase_grounding" }, [coffee], { maxNewTokens: 5 });
    const broken = batched.captionImage(new Uint8Array([1, 2, 3]), { maxNewTokens: 5 });
    await Promise.all([
      expect(bad).rejects.toMatchObject({ kind: "missing_text" }),
      expect(broken).rejects.toMatchObject({ kind: "invalid_image" }),
    ]);
    expect(comparable([await good])).toEqual(comparable([await runCall(solo, CALLS[0]!)]));
  });

  it("a cancelled call leaves its batch at the next step; the others finish", async () => {
    const controller = new AbortController();
    let seen = 0;
    const before = await batched.stats();
    const doomed = batched.captionImage(coffee, {
      maxNewTokens: 400,
      numBeams: 1,
      signal: controller.signal,
      onToken: () => {
        seen++;
        if (seen === 3) controller.abort();
      },
    });
    const survivor = batched.captionImage(chelsea, { maxNewTokens: 30, numBeams: 1 });
    await expect(doomed).rejects.toMatchObject({ kind: "cancelled" });
    const [r] = await survivor;
    expect(r!.generatedTokens).toBe(30);
    const steps = (await batched.stats()).decoderSteps - before.decoderSteps;
    // The survivor needs 30 steps; without cancellation reaching the worker the batch would run 400.
    expect(steps).toBeLessThan(60);
  });
});

describe("vision-feature cache", () => {
  it("several tasks on one image, and later calls on it, run the vision encoder once with the same answers", async () => {
    const cached = await createFlorence({ model: MODEL, maxDelayMs: 0 });
    try {
      const options = { maxNewTokens: 8, numBeams: 1 } as const;
      const multi = await cached.runTasks(
        [{ task: "caption" }, { task: "object_detection" }, { task: "ocr" }],
        coffee,
        options,
      );
      const again = await cached.captionImage(coffee, options);
      const raw = await cached.ocrImage(coffee, options);
      const stats = await cached.stats();
      expect(stats.visionImages).toBe(1);
      expect(stats.visionCache).toMatchObject({ misses: 1, entries: 1 });
      expect(stats.visionCache.hits).toBeGreaterThanOrEqual(2);
      const expected = await solo.runTasks(
        [{ task: "caption" }, { task: "object_detection" }, { task: "ocr" }],
        coffee,
        options,
      );
      expect(comparable([multi, again, raw])).toEqual(comparable([expected, [expected[0]!], [expected[2]!]]));
    } finally {
      await cached.close();
    }
  });
});
