/**
 * The fp16 and q8 (`_quantized`) files of the tiny fixture through the same worker + scheduler path
 * as fp32: every task answers a typed result of the task's kind. (How far their tokens agree with
 * fp32 is measured, not asserted: bench/precision.ts and BENCHMARKS.md.)
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorence, type Florence, TASK_NAMES, TASKS, type TaskRequest } from "../../models/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
let image: Uint8Array;

beforeAll(async () => {
  image = await readFile(new URL("../fixtures/images/coffee.jpg", import.meta.url));
});

/** Result kind per task output type, as the engine's post-processing gives them. */
const KIND = {
  pure_text: "text",
  bboxes: "detections",
  description_with_bboxes: "detections",
  phrase_grounding: "detections",
  polygons: "segmentation",
  ocr: "ocr",
  description_with_bboxes_or_polygons: "open_vocabulary",
} as const;

describe.each(["fp16", "q8"] as const)("the %s files", (dtype) => {
  let florence: Florence;
  beforeAll(async () => {
    florence = await createFlorence({ model: MODEL, dtype });
  });
  afterAll(async () => {
    await florence?.close();
  });

  it("load with the same model info as fp32, but their dtype", () => {
    expect(florence.info.dtype).toBe(dtype);
    expect(florence.info.vocabSize).toBe(2025);
  });

  it("answer every task on one image, in one multi-task call, with the task's result kind", async () => {
    const requests: TaskRequest[] = TASK_NAMES.map((task) => {
      const spec = TASKS[task];
      if (spec.input === "text") return { task, text: "a cup" };
      if (spec.input === "region") return { task, region: [100, 50, 400, 300] };
      return { task };
    });
    const results = await florence.runTasks(requests, image, { maxNewTokens: 12, numBeams: 1 });
    expect(results.map((r) => r.kind)).toEqual(TASK_NAMES.map((t) => KIND[TASKS[t].output]));
    for (const r of results) {
      expect(r.imageSize).toEqual({ width: 600, height: 400 });
      expect(r.generatedTokens).toBe(12);
    }
  });
});
