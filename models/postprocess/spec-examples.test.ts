/**
 * The worked examples A-L of docs/florence2-contract.md#811-worked-examples (800x600 image) and the
 * real cross-checks listed after them, in the reference's output shape (float bin centres), through our parsers.
 */
import { describe, expect, it } from "vitest";
import {
  numbersOf,
  type ReferenceValue,
  referenceShape,
  withoutNumbers,
} from "../../test/support/postprocess/reference-shape.js";
import type { OutputKind } from "../tasks.js";

interface Example {
  readonly name: string;
  readonly kind: OutputKind;
  readonly size: readonly [number, number];
  readonly text: string;
  readonly expected: ReferenceValue;
  /** Relative tolerance; the worked examples print values rounded to 4 decimals, the notebook float32 values. */
  readonly tolerance?: number;
}

const S800 = [800, 600] as const;
const CAR = [640, 480] as const;
const RUN_A = "<loc_100><loc_100><loc_200><loc_100><loc_200><loc_200>";
const RUN_B = "<loc_500><loc_500><loc_600><loc_500><loc_600><loc_600>";
const POLY_A = [80.4, 60.3, 160.4, 60.3, 160.4, 120.3];
const POLY_B = [400.4, 300.3, 480.4, 300.3, 480.4, 360.3];

const EXAMPLES: readonly Example[] = [
  {
    name: "A caption",
    kind: "pure_text",
    size: S800,
    text: "</s><s>A dog sitting on a red couch.</s>",
    expected: "A dog sitting on a red couch.",
  },
  {
    name: "B object detection, two boxes for one label",
    kind: "description_with_bboxes",
    size: S800,
    text: "</s><s>dog<loc_120><loc_300><loc_480><loc_890>cushion<loc_600><loc_250><loc_820><loc_500><loc_50><loc_260><loc_210><loc_520></s>",
    expected: {
      bboxes: [
        [96.4, 180.3, 384.4, 534.3],
        [480.4, 150.3, 656.4, 300.3],
        [40.4, 156.3, 168.4, 312.3],
      ],
      labels: ["dog", "cushion", "cushion"],
    },
  },
  {
    name: "C dense region captions",
    kind: "description_with_bboxes",
    size: S800,
    text: "</s><s>a brown dog lying down<loc_120><loc_300><loc_480><loc_890>a red cushion<loc_600><loc_250><loc_820><loc_500></s>",
    expected: {
      bboxes: [
        [96.4, 180.3, 384.4, 534.3],
        [480.4, 150.3, 656.4, 300.3],
      ],
      labels: ["a brown dog lying down", "a red cushion"],
    },
  },
  {
    name: "D region proposals",
    kind: "bboxes",
    size: S800,
    text: "</s><s><s><s><loc_120><loc_300><loc_480><loc_890><loc_600><loc_250><loc_820><loc_500></s>",
    expected: {
      bboxes: [
        [96.4, 180.3, 384.4, 534.3],
        [480.4, 150.3, 656.4, 300.3],
      ],
      labels: ["", ""],
    },
  },
  {
    name: "E phrase grounding",
    kind: "phrase_grounding",
    size: S800,
    text: "</s><s>A dog<loc_120><loc_300><loc_480><loc_890>a red couch<loc_10><loc_400><loc_990><loc_998></s>",
    expected: {
      bboxes: [
        [96.4, 180.3, 384.4, 534.3],
        [8.4, 240.3, 792.4, 599.1],
      ],
      labels: ["A dog", "a red couch"],
    },
  },
  {
    name: "E phrase grounding, multi-box phrase and black-listed 'it'",
    kind: "phrase_grounding",
    size: S800,
    text: "</s><s>two cats<loc_100><loc_500><loc_300><loc_900><loc_600><loc_480><loc_820><loc_910>it<loc_0><loc_0><loc_999><loc_999></s>",
    expected: {
      bboxes: [
        [80.4, 300.3, 240.4, 540.3],
        [480.4, 288.3, 656.4, 546.3],
      ],
      labels: ["two cats", "two cats"],
    },
  },
  { name: "F OCR", kind: "pure_text", size: S800, text: "</s><s>HELLO WORLD</s>", expected: "HELLO WORLD" },
  {
    name: "G OCR with regions (native labels: no '</s>' prefix)",
    kind: "ocr",
    size: S800,
    text: "</s><s>HELLO<loc_100><loc_100><loc_400><loc_100><loc_400><loc_200><loc_100><loc_200>WORLD<loc_100><loc_300><loc_450><loc_300><loc_450><loc_400><loc_100><loc_400></s>",
    expected: {
      quad_boxes: [
        [80.4, 60.3, 320.4, 60.3, 320.4, 120.3, 80.4, 120.3],
        [80.4, 180.3, 360.4, 180.3, 360.4, 240.3, 80.4, 240.3],
      ],
      labels: ["HELLO", "WORLD"],
    },
  },
  {
    name: "H referring segmentation, one polygon",
    kind: "polygons",
    size: S800,
    text: "</s><s><loc_100><loc_100><loc_200><loc_100><loc_200><loc_200><loc_100><loc_200></s>",
    expected: { polygons: [[[80.4, 60.3, 160.4, 60.3, 160.4, 120.3, 80.4, 120.3]]], labels: [""] },
  },
  {
    name: "H <sep> and an odd count",
    kind: "polygons",
    size: S800,
    text: `</s><s>${RUN_A}<sep>${RUN_B}<loc_550></s>`,
    expected: { polygons: [[POLY_A, POLY_B]], labels: [""] },
  },
  {
    name: "H <poly> instances",
    kind: "polygons",
    size: S800,
    text: `</s><s><poly>${RUN_A}</poly><poly>${RUN_B}</poly></s>`,
    expected: { polygons: [[POLY_A], [POLY_B]], labels: ["", ""] },
  },
  {
    name: "I region to segmentation (same format as H)",
    kind: "polygons",
    size: S800,
    text: `</s><s>${RUN_A}</s>`,
    expected: { polygons: [[POLY_A]], labels: [""] },
  },
  {
    name: "J open vocabulary, boxes",
    kind: "description_with_bboxes_or_polygons",
    size: S800,
    text: "</s><s>a dog<loc_120><loc_300><loc_480><loc_890></s>",
    expected: { bboxes: [[96.4, 180.3, 384.4, 534.3]], bboxes_labels: ["a dog"], polygons: [], polygons_labels: [] },
  },
  {
    name: "J open vocabulary, polygons",
    kind: "description_with_bboxes_or_polygons",
    size: S800,
    text: `</s><s>a dog<poly>${RUN_A}</poly></s>`,
    expected: { bboxes: [], bboxes_labels: [], polygons: [[POLY_A]], polygons_labels: ["a dog"] },
  },
  {
    name: "K region to category keeps the echoed region",
    kind: "pure_text",
    size: S800,
    text: "</s><s>dog<loc_120><loc_300><loc_480><loc_890></s>",
    expected: "dog<loc_120><loc_300><loc_480><loc_890>",
  },
  {
    name: "L region to description",
    kind: "pure_text",
    size: S800,
    text: "</s><s>a brown dog lying on a cushion<loc_120><loc_300><loc_480><loc_890></s>",
    expected: "a brown dog lying on a cushion<loc_120><loc_300><loc_480><loc_890>",
  },
  {
    name: "cross-check: transformers.js test, car image",
    kind: "description_with_bboxes",
    size: CAR,
    text: "</s><s><s><s>car<loc_53><loc_333><loc_933><loc_774>door<loc_712><loc_203><loc_906><loc_545>wheel<loc_704><loc_576><loc_866><loc_772><loc_149><loc_584><loc_310><loc_773></s>",
    expected: {
      bboxes: [
        [34.24, 160.08, 597.44, 371.76],
        [456.0, 97.68, 580.16, 261.84],
        [450.88, 276.72, 554.56, 370.8],
        [95.68, 280.56, 198.72, 371.28],
      ],
      labels: ["car", "door", "wheel", "wheel"],
    },
  },
  {
    // The notebook prints float32 values (33.599998...); its car box is bins 52, 332, 932, 774.
    name: "cross-check: Microsoft notebook <OD> car box",
    kind: "description_with_bboxes",
    size: CAR,
    text: "</s><s>car<loc_52><loc_332><loc_932><loc_774></s>",
    expected: { bboxes: [[33.6, 159.6, 596.8, 371.76]], labels: ["car"] },
    tolerance: 1e-6,
  },
  {
    // The notebook's first OCR quad on the 403x500 book cover is bins 414, 100, 932, 229; its
    // label there is "</s>CUDA" (the original's bug), the native port's "CUDA".
    name: "cross-check: Microsoft notebook OCR with regions, book cover",
    kind: "ocr",
    size: [403, 500],
    text: "</s><s>CUDA<loc_414><loc_100><loc_932><loc_100><loc_932><loc_229><loc_414><loc_229></s>",
    expected: {
      quad_boxes: [[167.0435, 50.25, 375.7975, 50.25, 375.7975, 114.75, 167.0435, 114.75]],
      labels: ["CUDA"],
    },
  },
];

describe("worked examples (docs/florence2-contract.md#811-worked-examples)", () => {
  it.each(EXAMPLES.map((e) => [e.name, e] as const))("%s", (_name, e) => {
    const got = referenceShape(e.kind, e.text, { width: e.size[0], height: e.size[1] });
    expect(withoutNumbers(got)).toEqual(withoutNumbers(e.expected));
    const want = numbersOf(e.expected);
    const tolerance = e.tolerance ?? 1e-9;
    numbersOf(got).forEach((g, i) => {
      expect(Math.abs(g - (want[i] as number))).toBeLessThanOrEqual(tolerance * Math.abs(want[i] as number));
    });
  });

  it("native integration test (ints): truncating our floats gives transformers' boxes", () => {
    const text =
      "</s><s>car<loc_53><loc_333><loc_933><loc_774>door handle<loc_425><loc_503><loc_474><loc_515>wheel<loc_709><loc_576><loc_865><loc_772><loc_150><loc_584><loc_309><loc_773></s>";
    const got = referenceShape("description_with_bboxes", text, { width: 640, height: 480 });
    expect(numbersOf(got).map(Math.trunc)).toEqual(
      [
        [34, 160, 597, 371],
        [272, 241, 303, 247],
        [454, 276, 553, 370],
        [96, 280, 198, 371],
      ].flat(),
    );
    expect(got).toMatchObject({ labels: ["car", "door handle", "wheel", "wheel"] });
  });
});
