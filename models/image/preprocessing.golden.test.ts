/**
 * Golden-driven parity with the reference preprocessing (test/fixtures/goldens/preprocessing.json,
 * made by tools/reference with transformers' CLIPImageProcessor on PIL).
 *
 * Stated tolerances:
 *  - lossless sources (PNG, synthetic raw fills): decode, resize and pixel_values are EXACT (equal
 *    sha256 of the decoded and resized bytes, bit-equal float32 values). These cases pin the PIL
 *    resampling port byte for byte.
 *  - lossy sources (JPEG, WebP): the reference decodes with PIL's libjpeg-turbo/libwebp, we with
 *    sharp's mozjpeg/libwebp. They agree exactly on this platform's prebuilt sharp, but decoders may
 *    legitimately differ by one level (IDCT/upsampling SIMD paths), so we allow the resized image
 *    max |diff| <= 1 level and mean |diff| <= 0.01, i.e. pixel_values within one level (1/255/0.224
 *    ~= 0.0176) and channel means within 0.005.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ImageInput } from "../inputs.js";
import { parseImagePreprocessConfig } from "./config.js";
import { decodeImage } from "./decode.js";
import { toPixelValues } from "./normalize.js";
import { resizeBicubic } from "./resize.js";
import type { DecodedImage } from "./types.js";

interface Stats {
  readonly mean_per_channel: readonly number[];
}
interface GoldenImage {
  readonly file: string | null;
  readonly path: string | null;
  readonly synthetic: { name: string; width: number; height: number; fill_rgb: [number, number, number] } | null;
  readonly width: number;
  readonly height: number;
  readonly resized_png: string | null;
  readonly decoded_rgb: Stats & { sha256: string };
  readonly resized_u8: Stats & { sha256: string; values: readonly number[] };
  readonly pixel_values: Stats & {
    shape: readonly number[];
    std_per_channel: readonly number[];
    mean: number;
    min: number;
    max: number;
    values: readonly number[];
  };
}
interface Golden {
  readonly config: unknown;
  readonly positions: readonly (readonly [number, number, number])[];
  readonly images: readonly GoldenImage[];
}

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const golden = JSON.parse(readFileSync(repo("test/fixtures/goldens/preprocessing.json"), "utf8")) as Golden;
const config = parseImagePreprocessConfig(golden.config, "preprocessing.json config");
const SIDE = 768;

const LOSSY_MAX_LEVELS = 1;
const LOSSY_MEAN_LEVELS = 0.01;
const LOSSY_PIXEL_VALUE = 1 / 255 / 0.224 + 1e-6;
const LOSSY_STAT = 0.005;

const name = (g: GoldenImage): string => g.file ?? g.synthetic?.name ?? "?";
const isLossy = (g: GoldenImage): boolean => g.file !== null && /\.(jpe?g|webp)$/i.test(g.file);
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function inputOf(g: GoldenImage): ImageInput {
  if (g.path !== null) return { kind: "path", path: repo(g.path) };
  const s = g.synthetic;
  if (s === null) throw new Error("golden image has neither path nor synthetic");
  const data = new Uint8Array(s.width * s.height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(s.fill_rgb, i);
  return { kind: "raw", format: "rgb", width: s.width, height: s.height, data };
}

interface Prepared {
  readonly decoded: DecodedImage;
  readonly resized: Uint8Array;
  readonly pv: Float32Array;
}

async function prepareGolden(g: GoldenImage): Promise<Prepared> {
  const decoded = await decodeImage(inputOf(g));
  const resized = resizeBicubic(decoded, config.size);
  return { decoded, resized, pv: toPixelValues([resized], config) };
}

function absDiff(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** Element-wise |actual - expected| <= tolerance, reporting the worst element on failure. */
function expectWithin(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = { index: -1, diff: 0 };
  for (const [i, v] of actual.entries()) {
    const diff = Math.abs(v - (expected[i] as number));
    if (diff > worst.diff) worst = { index: i, diff };
  }
  expect(worst.diff, `worst element ${worst.index}`).toBeLessThanOrEqual(tolerance);
}

/** float64 mean/std (population) per channel and overall, min and max, as the golden states them. */
function stats(pv: Float32Array) {
  const plane = SIDE * SIDE;
  const mean: number[] = [];
  const std: number[] = [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const v = pv[i] as number;
      s += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const m = s / plane;
    let ss = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) ss += ((pv[i] as number) - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(ss / plane));
  }
  return { mean, std, overall: (mean[0]! + mean[1]! + mean[2]!) / 3, min, max };
}

describe("preprocessing goldens", () => {
  it("covers the fixture images and the synthetic fills", () => {
    expect(golden.images.length).toBeGreaterThanOrEqual(9);
    expect(golden.images.filter((g) => g.synthetic !== null).length).toBeGreaterThanOrEqual(2);
  });

  describe.each(golden.images.map((g) => [name(g), g] as const))("%s", (_, g) => {
    const lossy = isLossy(g);
    // Computed once, lazily (inside the first test), and shared by this image's tests.
    let cached: Promise<Prepared> | undefined;
    const prepare = (): Promise<Prepared> => {
      cached ??= prepareGolden(g);
      return cached;
    };

    it("decodes to the reference size (EXIF applied) and pixels", async () => {
      const { decoded } = await prepare();
      expect([decoded.width, decoded.height]).toEqual([g.width, g.height]);
      if (!lossy) expect(sha256(decoded.rgb)).toBe(g.decoded_rgb.sha256);
    });

    // Synthetic fills have no reference PNG; their resize is checked through sha256 below.
    const resizedPng = g.resized_png;
    if (resizedPng !== null) {
      it("resizes like the reference PNG", async () => {
        const { resized } = await prepare();
        const reference = new Uint8Array(await sharp(repo(resizedPng)).raw().toBuffer());
        expect(reference.length).toBe(SIDE * SIDE * 3);
        const d = absDiff(resized, reference);
        if (lossy) {
          expect(d.max).toBeLessThanOrEqual(LOSSY_MAX_LEVELS);
          expect(d.mean).toBeLessThanOrEqual(LOSSY_MEAN_LEVELS);
        } else {
          expect(d).toEqual({ max: 0, mean: 0 });
        }
      });
    }

    it("matches the resized sample values (and the sha256 for lossless sources)", async () => {
      const { resized } = await prepare();
      const ours = golden.positions.map(([c, y, x]) => resized[(y * SIDE + x) * 3 + c] as number);
      if (lossy) {
        expectWithin(ours, g.resized_u8.values, LOSSY_MAX_LEVELS);
      } else {
        expect(ours).toEqual(g.resized_u8.values);
        expect(sha256(resized)).toBe(g.resized_u8.sha256);
      }
    });

    it("produces the reference pixel_values (samples and statistics)", async () => {
      const { pv } = await prepare();
      expect(g.pixel_values.shape).toEqual([1, 3, SIDE, SIDE]);
      expect(pv.length).toBe(3 * SIDE * SIDE);
      const ours = golden.positions.map(([c, y, x]) => pv[c * SIDE * SIDE + y * SIDE + x] as number);
      const s = stats(pv);
      const ref = g.pixel_values;
      if (lossy) {
        expectWithin(ours, ref.values, LOSSY_PIXEL_VALUE);
        expectWithin(s.mean, ref.mean_per_channel, LOSSY_STAT);
        expectWithin(s.std, ref.std_per_channel, LOSSY_STAT);
      } else {
        expect(ours).toEqual(ref.values);
        // the data are identical; only float64 summation order differs from numpy's
        expectWithin(s.mean, ref.mean_per_channel, 1e-9);
        expectWithin(s.std, ref.std_per_channel, 1e-9);
        expect([s.min, s.max]).toEqual([ref.min, ref.max]);
      }
      expect(s.overall).toBeCloseTo(ref.mean, lossy ? 2 : 9);
    });
  });
});
