import { describe, expect, it } from "vitest";
import { scoredPieces } from "../../test/support/postprocess/pieces.js";
import type {
  DetectionsResult,
  OcrResult,
  OpenVocabularyResult,
  SegmentationResult,
  TaskResult,
  TextResult,
} from "../results.js";
import { TASKS, type TaskName } from "../tasks.js";
import { rleArea, rleToMask } from "./rasterize.js";
import { toTaskResult } from "./to-result.js";

const S800 = { width: 800, height: 600 };

/** Location token <loc_k> gets log-prob -k/1000, everything else -1; the decoder start is NaN (must be ignored). */
const locLogprob = (text: string, i: number): number => {
  if (i === 0) return Number.NaN;
  const m = /^<loc_(\d+)>$/.exec(text);
  return m ? -Number(m[1]) / 1000 : text === "<s>" ? 0 : -1;
};

function run(task: TaskName, decoded: string, size = S800): TaskResult {
  return toTaskResult(TASKS[task], decoded, scoredPieces(decoded, locLogprob), size, 42);
}

const meanLoc = (...bins: number[]) => Math.exp(-bins.reduce((a, b) => a + b, 0) / bins.length / 1000);

describe("toTaskResult", () => {
  it("text: loc tokens removed from the typed text, kept in rawText", () => {
    const decoded = "</s><s>dog<loc_120><loc_300><loc_480><loc_890></s>";
    const r = run("region_to_category", decoded) as TextResult;
    expect(r).toMatchObject({
      kind: "text",
      task: "region_to_category",
      text: "dog",
      rawText: decoded,
      generatedTokens: 42,
      imageSize: S800,
    });
    // Tokens "dog" (-1) and the four echoed locations; not <s>, </s> or the decoder start.
    expect(r.confidence).toBeCloseTo(Math.exp((-1 - 0.12 - 0.3 - 0.48 - 0.89) / 5), 12);
  });

  it("text: a caption with padding", () => {
    const r = run("caption", "</s><s>A dog on a couch.</s><pad>") as TextResult;
    expect(r.text).toBe("A dog on a couch.");
    expect(r.confidence).toBeCloseTo(Math.exp(-1), 12);
  });

  // Worked example B of docs/florence2-contract.md#811-worked-examples.
  it("detections: worked example B with per-box location confidences", () => {
    const r = run(
      "object_detection",
      "</s><s>dog<loc_120><loc_300><loc_480><loc_890>cushion<loc_600><loc_250><loc_820><loc_500><loc_50><loc_260><loc_210><loc_520></s>",
    ) as DetectionsResult;
    expect(r.kind).toBe("detections");
    expect(r.detections.map((d) => d.label)).toEqual(["dog", "cushion", "cushion"]);
    const [dog, cushion1, cushion2] = r.detections;
    expect(dog?.box.x1).toBeCloseTo(96.4, 10);
    expect(dog?.box.y1).toBeCloseTo(180.3, 10);
    expect(dog?.box.x2).toBeCloseTo(384.4, 10);
    expect(dog?.box.y2).toBeCloseTo(534.3, 10);
    expect(dog?.confidence).toBeCloseTo(meanLoc(120, 300, 480, 890), 12);
    expect(cushion1?.confidence).toBeCloseTo(meanLoc(600, 250, 820, 500), 12);
    expect(cushion2?.confidence).toBeCloseTo(meanLoc(50, 260, 210, 520), 12);
  });

  it("detections: proposals have empty labels; grounding drops black-listed phrases", () => {
    const p = run("region_proposal", "</s><s><loc_1><loc_2><loc_3><loc_4></s>") as DetectionsResult;
    expect(p.detections.map((d) => d.label)).toEqual([""]);
    const g = run(
      "phrase_grounding",
      "</s><s>it<loc_1><loc_2><loc_3><loc_4>a cat<loc_5><loc_6><loc_7><loc_8></s>",
    ) as DetectionsResult;
    expect(g.detections.map((d) => d.label)).toEqual(["a cat"]);
  });

  it("ocr: quad, bounds of the quad, confidence over text and locations", () => {
    const r = run(
      "ocr_with_region",
      "</s><s>HELLO<loc_100><loc_100><loc_400><loc_110><loc_390><loc_200><loc_90><loc_190></s>",
    ) as OcrResult;
    expect(r.kind).toBe("ocr");
    const [line] = r.lines;
    expect(line?.text).toBe("HELLO");
    expect(line?.quad.map((p) => [p.x, p.y])).toEqual(
      [
        [80.4, 60.3],
        [320.4, 66.3],
        [312.4, 120.3],
        [72.4, 114.3],
      ].map(([x, y]) => [expect.closeTo(x as number, 10), expect.closeTo(y as number, 10)]),
    );
    expect(line?.box).toEqual({
      x1: expect.closeTo(72.4, 10),
      y1: expect.closeTo(60.3, 10),
      x2: expect.closeTo(320.4, 10),
      y2: expect.closeTo(120.3, 10),
    });
    const locSum = (100 + 100 + 400 + 110 + 390 + 200 + 90 + 190) / 1000;
    expect(line?.confidence).toBeCloseTo(Math.exp((-1 - locSum) / 9), 12);
  });

  it("segmentation: instances with polygons, bounds, RLE mask and confidence", () => {
    const r = run(
      "referring_expression_segmentation",
      "</s><s><poly><loc_100><loc_100><loc_200><loc_100><loc_200><loc_200><loc_100><loc_200></poly><poly><loc_500><loc_500><loc_600><loc_500><loc_600><loc_600><sep><loc_7></poly></s>",
      { width: 1000, height: 1000 },
    ) as SegmentationResult;
    expect(r.kind).toBe("segmentation");
    expect(r.instances).toHaveLength(2);
    const [square, triangle] = r.instances;
    expect(square?.label).toBe("");
    expect(square?.polygons).toEqual([
      [
        { x: 100.5, y: 100.5 },
        { x: 200.5, y: 100.5 },
        { x: 200.5, y: 200.5 },
        { x: 100.5, y: 200.5 },
      ],
    ]);
    expect(square?.box).toEqual({ x1: 100.5, y1: 100.5, x2: 200.5, y2: 200.5 });
    expect(square?.mask.size).toEqual([1000, 1000]);
    // Centres 100.5 .. 199.5 on both axes: 100 x 100 pixels.
    expect(rleArea(square?.mask ?? { size: [0, 0], counts: [] })).toBe(100 * 100);
    expect(square?.confidence).toBeCloseTo(meanLoc(100, 100, 200, 100, 200, 200, 100, 200), 12);
    // The lone coordinate after <sep> makes an empty polygon, which is left out; it does not count for confidence.
    expect(triangle?.polygons).toHaveLength(1);
    expect(triangle?.confidence).toBeCloseTo(meanLoc(500, 500, 600, 500, 600, 600), 12);
    const mask = rleToMask(triangle?.mask ?? { size: [0, 0], counts: [] });
    expect(mask[550 * 1000 + 590]).toBe(1); // inside: below the hypotenuse y = x
    expect(mask[590 * 1000 + 550]).toBe(0);
  });

  it("open vocabulary: boxes or instances", () => {
    const boxes = run(
      "open_vocabulary_detection",
      "</s><s>a dog<loc_120><loc_300><loc_480><loc_890></s>",
    ) as OpenVocabularyResult;
    expect(boxes).toMatchObject({ kind: "open_vocabulary", detections: [{ label: "a dog" }], instances: [] });
    const polys = run(
      "open_vocabulary_detection",
      "</s><s>a dog<poly><loc_100><loc_100><loc_200><loc_100><loc_200><loc_200></poly></s>",
    ) as OpenVocabularyResult;
    expect(polys.detections).toEqual([]);
    expect(polys.instances.map((i) => i.label)).toEqual(["a dog"]);
  });

  it.each<[TaskName, string]>([
    ["caption", "</s><s></s>"],
    ["object_detection", "</s><s>"],
    ["region_proposal", "</s><s>no boxes here</s>"],
    ["ocr_with_region", "</s><s>TEXT<loc_1><loc_2></s>"],
    ["region_to_segmentation", "</s><s><loc_1><loc_2><loc_3></s>"],
    ["open_vocabulary_detection", "</s><s><poly></poly></s>"],
    ["phrase_grounding", "</s><s><<>><loc_>"],
  ])("%s with a malformed answer %j is an empty result", (task, decoded) => {
    const r = run(task, decoded);
    const items =
      r.kind === "text"
        ? []
        : r.kind === "detections"
          ? r.detections
          : r.kind === "ocr"
            ? r.lines
            : r.kind === "segmentation"
              ? r.instances
              : [...r.detections, ...r.instances];
    expect(items).toEqual([]);
    expect(r.rawText).toBe(decoded);
  });

  // The reference keeps an inverted box as written; we return the same rectangle with x1 <= x2 and
  // y1 <= y2 (a box the server accepts back as a region), and rawText keeps the model's order.
  it.each<[string, string, string]>([
    ["region_proposal", "</s><s><loc_999><loc_999><loc_0><loc_0></s>", "detections"],
    ["object_detection", "</s><s>car<loc_999><loc_0><loc_0><loc_999></s>", "detections"],
    ["open_vocabulary_detection", "</s><s>car<loc_999><loc_999><loc_0><loc_0></s>", "open_vocabulary"],
  ])("%s: an inverted box comes back normalized", (task, decoded, kind) => {
    const r = run(task as TaskName, decoded, { width: 12, height: 9 });
    expect(r.kind).toBe(kind);
    const box = (r as DetectionsResult).detections[0]?.box;
    expect(box).toEqual({ x1: 0.006, y1: 0.0045, x2: 11.994, y2: 8.9955 });
    expect(r.rawText).toBe(decoded);
  });
});
