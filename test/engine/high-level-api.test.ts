/**
 * The high-level API through the worker thread, on the tiny random-weight fixture: every method
 * returns one typed result per image, bad inputs get typed errors with messages that say what to
 * fix, and the main thread's event loop keeps turning while the model runs.
 */
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorence, type Florence, FlorenceError, type FlorenceErrorKind } from "../../models/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);

let florence: Florence;
let coffee: Uint8Array; // 600x400 JPEG
const short = { maxNewTokens: 12, numBeams: 1 } as const;

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
});

afterAll(async () => {
  await florence?.close();
});

async function expectError(p: Promise<unknown>, kind: FlorenceErrorKind, message: RegExp): Promise<FlorenceError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlorenceError);
  const fe = error as FlorenceError;
  expect(fe.kind).toBe(kind);
  expect(fe.message).toMatch(message);
  return fe;
}

describe("high-level methods", () => {
  it("reports the model it serves", () => {
    expect(florence.info.vocabSize).toBe(2025);
    expect(florence.info.imageSize).toEqual({ width: 768, height: 768 });
    expect(florence.info.tasks).toHaveLength(15);
  });

  it("captionImage: one text result per image, with a real confidence", async () => {
    const results = await florence.captionImage(
      [coffee, { kind: "path", path: new URL("camera_gray.png", IMAGES).pathname }],
      short,
    );
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.kind).toBe("text");
      expect(r.task).toBe("caption");
      expect(r.rawText.startsWith("</s><s>")).toBe(true);
      expect(r.confidence).toBeGreaterThan(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
    expect(results[0]!.imageSize).toEqual({ width: 600, height: 400 });
    expect(results[1]!.imageSize).toEqual({ width: 512, height: 512 });
  });

  it.each([
    ["detailed", "detailed_caption"],
    ["very_detailed", "more_detailed_caption"],
  ] as const)("captionImage granularity %s runs %s", async (granularity, task) => {
    const [r] = await florence.captionImage(coffee, { ...short, granularity });
    expect(r!.task).toBe(task);
  });

  it.each([
    ["classes", "object_detection"],
    ["captions", "dense_region_caption"],
    ["rois", "region_proposal"],
  ] as const)("detectObjects labelsMode %s runs %s", async (labelsMode, task) => {
    const [r] = await florence.detectObjects(coffee, { ...short, labelsMode });
    expect(r!.kind).toBe("detections");
    expect(r!.task).toBe(task);
  });

  it("detectObjects with classes runs open-vocabulary detection", async () => {
    const [r] = await florence.detectObjects(coffee, { ...short, classes: ["cup", "saucer"] });
    expect(r!.task).toBe("open_vocabulary_detection");
    expect(r!.kind).toBe("detections");
  });

  it("every other method returns its result kind", async () => {
    const region = [10, 20, 300, 200] as const;
    const checks: Array<[Promise<Array<{ kind: string; task: string }>>, string, string]> = [
      [florence.ocrImage(coffee, short), "text", "ocr"],
      [florence.parseDocument(coffee, short), "ocr", "ocr_with_region"],
      [florence.groundPhrase(coffee, "a cup of coffee", short), "detections", "phrase_grounding"],
      [florence.segmentPhrase(coffee, "the cup", short), "segmentation", "referring_expression_segmentation"],
      [florence.segmentRegion(coffee, region, short), "segmentation", "region_to_segmentation"],
      [florence.classifyImageRegion(coffee, region, short), "text", "region_to_category"],
      [florence.captionImageRegion(coffee, region, short), "text", "region_to_description"],
      [florence.ocrImageRegion(coffee, region, short), "text", "region_to_ocr"],
    ];
    for (const [promise, kind, task] of checks) {
      const [r] = await promise;
      expect({ kind: r!.kind, task: r!.task }).toEqual({ kind, task });
    }
  });

  it("runTasks runs several tasks on one image, one result per task in order", async () => {
    const results = await florence.runTasks(
      [{ task: "caption" }, { task: "object_detection" }, { task: "ocr" }],
      coffee,
      short,
    );
    expect(results.map((r) => r.task)).toEqual(["caption", "object_detection", "ocr"]);
  });

  it("runTasks gives each task the same tokens as running it alone", async () => {
    const [alone] = await florence.run({ task: "object_detection" }, [coffee], short);
    const together = await florence.runTasks([{ task: "caption" }, { task: "object_detection" }], coffee, short);
    expect(together[1]!.rawText).toBe(alone!.rawText);
  });

  it("a batch of images gives each image the same answer as alone", async () => {
    const gray = await readFile(new URL("camera_gray.png", IMAGES));
    const batch = await florence.run({ task: "caption" }, [coffee, gray], { maxNewTokens: 16, numBeams: 3 });
    const [alone] = await florence.run({ task: "caption" }, [gray], { maxNewTokens: 16, numBeams: 3 });
    expect(batch[1]!.rawText).toBe(alone!.rawText);
  });

  it("streams tokens through onToken", async () => {
    const tokens: string[] = [];
    const [r] = await florence.run({ task: "caption" }, [coffee], { ...short, onToken: (t) => tokens.push(t.text) });
    expect(tokens.length).toBe(r!.generatedTokens);
    expect(`</s>${tokens.join("")}`).toBe(r!.rawText);
  });
});

describe("bad inputs get typed errors and the engine keeps serving", () => {
  it.each([
    ["empty bytes", new Uint8Array(0), /empty|no bytes|0 bytes/i],
    [
      "garbage bytes",
      new TextEncoder().encode("this is not an image at all"),
      /not a JPEG, PNG, WebP, GIF, TIFF or AVIF image/,
    ],
  ])("%s", async (_name, bytes, message) => {
    await expectError(florence.captionImage(bytes, short), "invalid_image", message);
  });

  it("truncated JPEG", async () => {
    await expectError(
      florence.captionImage(coffee.subarray(0, Math.floor(coffee.length / 3)), short),
      "invalid_image",
      /truncated|corrupt|cannot be decoded/i,
    );
  });

  it("a decompression bomb is refused before decoding", async () => {
    // A valid PNG header declaring 50000x50000 pixels.
    const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#fff" } })
      .png()
      .toBuffer();
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(50_000, 16);
    bomb.writeUInt32BE(50_000, 20);
    await expectError(florence.captionImage(bomb, short), "invalid_image", /50000x50000.*limit/);
  });

  it("a 1x1 image is fine", async () => {
    const one = await sharp({ create: { width: 1, height: 1, channels: 3, background: "#f00" } })
      .png()
      .toBuffer();
    const [r] = await florence.captionImage(one, short);
    expect(r!.imageSize).toEqual({ width: 1, height: 1 });
  });

  it("raw pixels with the wrong length", async () => {
    await expectError(
      florence.captionImage({ kind: "raw", data: new Uint8Array(10), width: 4, height: 4, format: "rgb" }, short),
      "invalid_image",
      /48/,
    );
  });

  it("an unknown task", async () => {
    await expectError(
      florence.run({ task: "<NOT_A_TASK>" as "caption" }, [coffee], short),
      "invalid_argument",
      /unknown task.*use one of/,
    );
  });

  it("a missing or blank text input", async () => {
    await expectError(
      florence.groundPhrase(coffee, "   ", short),
      "missing_text",
      /phrase_grounding|CAPTION_TO_PHRASE_GROUNDING/,
    );
    await expectError(
      florence.run({ task: "referring_expression_segmentation" }, [coffee], short),
      "missing_text",
      /text/,
    );
  });

  it.each([
    ["outside the image", [0, 0, 700, 100]],
    ["inverted", [300, 200, 10, 20]],
    ["not finite", [0, Number.NaN, 10, 10]],
  ] as const)("a region %s", async (_name, region) => {
    const e = await expectError(
      florence.classifyImageRegion(coffee, region, short),
      "invalid_region",
      /600x400|region/,
    );
    expect(e.violations.length).toBeGreaterThan(0);
  });

  // 1024: the decoder's positions cap the engine's 4096 limit.
  it.each([0, -1, 1.5, 1_000_000])("absurd max_new_tokens %d", async (maxNewTokens) => {
    await expectError(
      florence.captionImage(coffee, { maxNewTokens }),
      "invalid_argument",
      /max_new_tokens must be a whole number from 1 to 1024/,
    );
  });

  it("absurd num_beams", async () => {
    await expectError(florence.captionImage(coffee, { numBeams: 99 }), "invalid_argument", /num_beams/);
  });

  it("an aborted signal cancels", async () => {
    const controller = new AbortController();
    const p = florence.captionImage(coffee, { maxNewTokens: 200, numBeams: 3, signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expectError(p, "cancelled", /cancel/);
  });

  it("still serves after all of the above", async () => {
    const [r] = await florence.captionImage(coffee, short);
    expect(r!.kind).toBe("text");
  });
});

describe("the main thread stays responsive", () => {
  it("timers keep firing during a long generation", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await florence.run({ task: "more_detailed_caption" }, [coffee, coffee, coffee], { maxNewTokens: 120, numBeams: 3 });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // A 1 ms timer fires roughly once per millisecond while the loop is free; blocked by
    // onnxruntime it would fire a handful of times in total.
    expect(ticks).toBeGreaterThan(elapsed / 10);
  });
});
