/**
 * Hand-made results of every kind for the drawing tests, on a 240x160 image (the test fixture
 * coffee.jpg resized), with whole-pixel boxes so edge pixels can be checked by coordinate. Also a
 * COCO RLE encoder, the inverse of client/annotate/rle.ts decodeRle, to build masks.
 */
import type { ImageSize, RleMask } from "../../../core/geometry.js";
import type {
  DetectionsResult,
  OcrResult,
  OpenVocabularyResult,
  SegmentationResult,
  TaskResult,
  TextResult,
} from "../../../core/results.js";

export const SIZE: ImageSize = { width: 240, height: 160 };

const base = { imageSize: SIZE, rawText: "", generatedTokens: 0 } as const;

/** COCO RLE of a row-major bitmap: column-major runs, starting with a (possibly empty) run of zeros. */
export function encodeRle(bitmap: Uint8Array, width: number, height: number): RleMask {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = bitmap[y * width + x]!;
      if (v === current) run++;
      else {
        counts.push(run);
        current = v;
        run = 1;
      }
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** The mask of the pixels whose centres `inside` accepts. */
export function maskOf(size: ImageSize, inside: (x: number, y: number) => boolean): RleMask {
  const bitmap = new Uint8Array(size.width * size.height);
  for (let y = 0; y < size.height; y++)
    for (let x = 0; x < size.width; x++) bitmap[y * size.width + x] = inside(x + 0.5, y + 0.5) ? 1 : 0;
  return encodeRle(bitmap, size.width, size.height);
}

export const DETECTIONS: DetectionsResult = {
  ...base,
  task: "object_detection",
  kind: "detections",
  detections: [
    { label: "cup", box: { x1: 60, y1: 40, x2: 160, y2: 120 }, confidence: 0.87 },
    { label: "spoon <&>", box: { x1: 130, y1: 100, x2: 170, y2: 140 }, confidence: 0.5 },
    { label: "", box: { x1: 190, y1: 10, x2: 230, y2: 50 }, confidence: 0.31 },
  ],
};

/** A diamond around (100, 80): its outline as the polygon, its pixels as the mask. */
const diamond = (x: number, y: number) => Math.abs(x - 100) / 50 + Math.abs(y - 80) / 40 <= 1;

export const SEGMENTATION: SegmentationResult = {
  ...base,
  task: "referring_expression_segmentation",
  kind: "segmentation",
  instances: [
    {
      label: "cup",
      polygons: [
        [
          { x: 100, y: 40 },
          { x: 150, y: 80 },
          { x: 100, y: 120 },
          { x: 50, y: 80 },
        ],
      ],
      box: { x1: 50, y1: 40, x2: 150, y2: 120 },
      mask: maskOf(SIZE, diamond),
      confidence: 0.66,
    },
  ],
};

export const OCR: OcrResult = {
  ...base,
  task: "ocr_with_region",
  kind: "ocr",
  lines: [
    {
      text: "ESPRESSO",
      quad: [
        { x: 30, y: 30 },
        { x: 120, y: 36 },
        { x: 118, y: 60 },
        { x: 28, y: 54 },
      ],
      box: { x1: 28, y1: 30, x2: 120, y2: 60 },
      confidence: 0.9,
    },
  ],
};

export const OPEN_VOCABULARY: OpenVocabularyResult = {
  ...base,
  task: "open_vocabulary_detection",
  kind: "open_vocabulary",
  detections: [{ label: "saucer", box: { x1: 20, y1: 30, x2: 220, y2: 150 }, confidence: 0.75 }],
  instances: [],
};

export const CAPTION: TextResult = {
  ...base,
  task: "detailed_caption",
  kind: "text",
  text: "A cup of coffee with a spoon on a saucer, on a wooden table.",
  confidence: 0.6,
};

export const REGION_CATEGORY: TextResult = {
  ...base,
  task: "region_to_category",
  kind: "text",
  text: "cup",
  confidence: 0.8,
};

export const FAILED: TextResult = {
  ...base,
  task: "caption",
  kind: "text",
  text: "",
  confidence: 0,
  error: { code: 3, message: "image cannot be decoded", reason: "invalid_image", violations: [] },
};

/** Every kind, by the name of its golden image. */
export const GOLDEN_CASES: readonly {
  readonly name: string;
  readonly result: TaskResult;
  readonly region?: readonly [number, number, number, number];
}[] = [
  { name: "detections", result: DETECTIONS },
  { name: "segmentation", result: SEGMENTATION },
  { name: "ocr", result: OCR },
  { name: "open-vocabulary", result: OPEN_VOCABULARY },
  { name: "caption", result: CAPTION },
  { name: "region", result: REGION_CATEGORY, region: [60, 40, 160, 120] },
  { name: "error", result: FAILED },
];
