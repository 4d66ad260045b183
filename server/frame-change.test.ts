import { describe, expect, it } from "vitest";
import type { RawPixelFormat, RawPixels } from "../core/inputs.js";
import { decideChange, formatOfChannels, frameThumbnail, THUMBNAIL_SIZE, thumbnailDifference } from "./frame-change.js";

/** A deterministic pseudo-random sequence in [0, 1) (a linear congruential generator). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Scene = (x: number, y: number) => readonly [number, number, number];

/** A left-to-right gradient with a bright square: a "still scene". */
const still: Scene = (x, y) => (x > 40 && x < 80 && y > 30 && y < 70 ? [240, 230, 220] : [x % 256, 100, (y * 2) % 256]);
/** Another shot entirely: dark with a vertical bright bar. */
const cut: Scene = (x) => (x > 100 && x < 130 ? [250, 250, 250] : [20, 30, 25]);

function render(scene: Scene, width: number, height: number, noise = 0, seed = 1): RawPixels {
  const next = random(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const rgb = scene(x, y);
      for (let c = 0; c < 3; c++) {
        const v = rgb[c]! + Math.round((next() * 2 - 1) * noise);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, v));
      }
    }
  return { data, width, height, format: "rgb" };
}

/** `frame` (RGB) in another layout. */
function convert(frame: RawPixels, format: RawPixelFormat): RawPixels {
  const n = frame.width * frame.height;
  const channels = { rgb: 3, bgr: 3, rgba: 4, bgra: 4, gray: 1 }[format];
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [frame.data[i * 3]!, frame.data[i * 3 + 1]!, frame.data[i * 3 + 2]!];
    const px = {
      rgb: [r, g, b],
      bgr: [b, g, r],
      rgba: [r, g, b, 255],
      bgra: [b, g, r, 255],
      gray: [(77 * r + 150 * g + 29 * b) >> 8],
    }[format];
    out.set(px, i * channels);
  }
  return { data: out, width: frame.width, height: frame.height, format };
}

const THRESHOLD = 0.02;
const base = frameThumbnail(render(still, 160, 120));

describe("decideChange against the last inferred frame (threshold 0.02)", () => {
  it.each([
    ["an identical frame", render(still, 160, 120), false, 0, 0],
    ["the same scene with +-6 levels of sensor noise", render(still, 160, 120, 6, 7), false, 0, 0.01],
    ["the same scene with +-12 levels of noise", render(still, 160, 120, 12, 9), false, 0, 0.015],
    ["a cut to another shot", render(cut, 160, 120), true, 0.2, 1],
    ["the same scene at another frame size", render(still, 320, 240), true, 1, 1],
  ])("%s: changed=%s, difference in [%f, %f]", (_, frame, changed, low, high) => {
    const decision = decideChange(base, frameThumbnail(frame), THRESHOLD);
    expect(decision.changed).toBe(changed);
    expect(decision.difference).toBeGreaterThanOrEqual(low);
    expect(decision.difference).toBeLessThanOrEqual(high);
  });

  it("the first frame of a stream (no previous thumbnail) is always inferred", () => {
    expect(decideChange(undefined, base, THRESHOLD)).toEqual({ changed: true, difference: 1 });
  });

  it("threshold 0 turns skipping off: even an identical frame counts as changed", () => {
    expect(decideChange(base, frameThumbnail(render(still, 160, 120)), 0).changed).toBe(true);
  });

  it.each([-0.1, 1.5, Number.NaN])("threshold %f is refused with the range it must lie in", (t) => {
    expect(() => decideChange(base, base, t)).toThrow(/0\.\.1/);
  });
});

describe("frameThumbnail", () => {
  it("is THUMBNAIL_SIZE square and keeps the source size", () => {
    expect(base.size).toBe(THUMBNAIL_SIZE);
    expect(base.cells.length).toBe(THUMBNAIL_SIZE * THUMBNAIL_SIZE);
    expect([base.sourceWidth, base.sourceHeight]).toEqual([160, 120]);
  });

  it("averages the pixels under each cell (a 64x64 frame: each cell is a 2x2 block)", () => {
    const data = new Uint8Array(64 * 64).map((_, i) => ((i % 64) % 2 === 0 ? 100 : 200));
    const t = frameThumbnail({ data, width: 64, height: 64, format: "gray" });
    expect(new Set(t.cells)).toEqual(new Set([150]));
  });

  it("scales a frame smaller than the thumbnail up (12x9 covers every cell)", () => {
    const data = new Uint8Array(12 * 9).map((_, i) => (i % 12 < 6 ? 0 : 255));
    const t = frameThumbnail({ data, width: 12, height: 9, format: "gray" });
    expect(t.cells[0]).toBe(0);
    expect(t.cells[THUMBNAIL_SIZE - 1]).toBe(255);
    expect(t.cells[(THUMBNAIL_SIZE - 1) * THUMBNAIL_SIZE]).toBe(0);
  });

  it.each(["bgr", "rgba", "bgra", "gray"] as const)(
    "gives a %s frame the same thumbnail as its RGB original",
    (format) => {
      const frame = render(still, 96, 72, 4, 3);
      const rgb = frameThumbnail(frame);
      const other = frameThumbnail(convert(frame, format));
      // Gray is rounded per pixel before averaging: at most one level apart.
      expect(thumbnailDifference(rgb, other)).toBeLessThanOrEqual(1 / 255);
    },
  );

  it.each([
    [{ data: new Uint8Array(10), width: 2, height: 2, format: "rgb" as const }, /2x2 rgb frame is 12 bytes, not 10/],
    [{ data: new Uint8Array(0), width: 0, height: 4, format: "gray" as const }, /at least 1x1/],
  ])("refuses a malformed frame with what is wrong", (frame, message) => {
    expect(() => frameThumbnail(frame)).toThrow(message);
  });
});

describe("formatOfChannels (sharp's raw output)", () => {
  it.each([
    [1, "gray"],
    [3, "rgb"],
    [4, "rgba"],
  ] as const)("%i channels: %s", (channels, format) => {
    expect(formatOfChannels(channels)).toBe(format);
  });

  it("refuses gray+alpha, saying to flatten", () => {
    expect(() => formatOfChannels(2)).toThrow(/flatten/);
  });
});
