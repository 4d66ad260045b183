/**
 * Golden images: each kind of result drawn by Node's annotate on a known image (coffee.jpg resized
 * to 240x160) and compared with test/fixtures/annotate/<name>.png, channel by channel within 8
 * levels, on at most 0.2% of the pixels. Text is left out of the pixel comparison: its glyphs come
 * from the installed fonts (librsvg), which differ between machines, so the label and caption boxes
 * are skipped and the text itself is checked in the SVG (svg.test.ts and below). Independently of
 * the goldens (which UPDATE_GOLDENS=1 rewrites), pixels are checked by coordinate: the box edges
 * have the label's colour, the inside of an unfilled box and the outside next to it are untouched,
 * so a shifted box fails even after a careless regeneration.
 */
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { annotationDisplayList, annotationSvg, labelColor } from "../../client/annotate/index.js";
import { annotate } from "../../client/annotate/node.js";
import { compareImages, decodeRgba, golden, pixelAt, type Rect, type Rgba } from "./support/image-compare.js";
import { CAPTION, DETECTIONS, FAILED, GOLDEN_CASES, REGION_CATEGORY, SEGMENTATION, SIZE } from "./support/results.js";

const COFFEE = fileURLToPath(new URL("../fixtures/images/coffee.jpg", import.meta.url));
const GOLDENS = fileURLToPath(new URL("../fixtures/annotate/", import.meta.url));

let basePng: Buffer;
let base: Rgba;

beforeAll(async () => {
  basePng = await sharp(COFFEE).resize(SIZE.width, SIZE.height).png().toBuffer();
  base = await decodeRgba(basePng);
});

function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** Asserts pixel (x, y) is `want` (r, g, b) within `tolerance`, naming the pixel when it is not. */
function expectPixel(image: Rgba, x: number, y: number, want: readonly number[], tolerance = 1): void {
  const got = pixelAt(image, x, y).slice(0, 3);
  const off = got.some((v, c) => Math.abs(v - want[c]!) > tolerance);
  expect(off, `pixel (${x}, ${y}) is ${got.join(",")}, want ${want.map(Math.round).join(",")}`).toBe(false);
}

const untouched = (x: number, y: number) => pixelAt(base, x, y).slice(0, 3);
const blend = (under: readonly number[], over: readonly number[], alpha: number) =>
  under.map((u, c) => u * (1 - alpha) + over[c]! * alpha);

describe("golden images", () => {
  it.each(GOLDEN_CASES)("$name matches its golden, text areas aside", async ({ name, result, region }) => {
    const options = region !== undefined ? { region } : {};
    const png = await annotate(basePng, result, options);
    const drawn = await decodeRgba(png);
    const expected = await golden(`${GOLDENS}${name}.png`, png);
    // Label backgrounds and caption bars: the only places text is drawn.
    const textAreas: Rect[] = annotationDisplayList(result, SIZE, options).items.flatMap((item) =>
      item.kind === "rect" && item.stroke === undefined ? [[item.x, item.y, item.width, item.height] as const] : [],
    );
    const comparison = compareImages(drawn, expected, { tolerance: 8, ignore: textAreas });
    expect(comparison.compared).toBeGreaterThan((SIZE.width * SIZE.height) / 2);
    expect(comparison.mismatched / comparison.compared, comparison.examples.join("; ")).toBeLessThanOrEqual(0.002);
    // The drawing changed the image: a renderer that draws nothing cannot pass.
    expect(compareImages(drawn, base).mismatched).toBeGreaterThan(100);
  });
});

describe("pixels by coordinate", () => {
  it("a box's edges have its label's colour; inside and just outside are untouched", async () => {
    const drawn = await decodeRgba(await annotate(basePng, DETECTIONS));
    const cup = rgb(labelColor("cup")); // box 60,40 - 160,120, line width 2: pixels 59..60 and 159..160
    for (const [x, y] of [
      [59, 80],
      [60, 80],
      [159, 80],
      [160, 80],
      [100, 39],
      [100, 40],
      [100, 119],
      [100, 120],
    ] as const)
      expectPixel(drawn, x, y, cup);
    for (const [x, y] of [
      [58, 80],
      [61, 80],
      [90, 70],
      [158, 60],
      [161, 60],
      [100, 41],
      [100, 118],
      [100, 122],
    ] as const)
      expectPixel(drawn, x, y, untouched(x, y));
    // The label sits on the box's top edge, left-aligned with its outer edge: its padding has the colour.
    expectPixel(drawn, 60, 37, cup);
  });

  it("a region result draws the region with the answer's colour", async () => {
    const drawn = await decodeRgba(await annotate(basePng, REGION_CATEGORY, { region: [60, 40, 160, 120] }));
    const colour = rgb(labelColor("cup"));
    for (const [x, y] of [
      [59, 80],
      [60, 80],
      [159, 80],
      [160, 80],
      [100, 39],
      [100, 40],
      [100, 119],
      [100, 120],
    ] as const)
      expectPixel(drawn, x, y, colour);
    for (const [x, y] of [
      [58, 80],
      [61, 80],
      [100, 80],
      [158, 80],
      [161, 80],
    ] as const)
      expectPixel(drawn, x, y, untouched(x, y));
  });

  it("a mask is a semi-transparent fill of its pixels only", async () => {
    const drawn = await decodeRgba(await annotate(basePng, SEGMENTATION));
    const colour = rgb(labelColor("cup"));
    for (const [x, y] of [
      [100, 80],
      [80, 70],
      [120, 95],
    ] as const)
      expectPixel(drawn, x, y, blend(untouched(x, y), colour, 0.4), 2);
    for (const [x, y] of [
      [60, 50],
      [140, 110],
      [200, 140],
    ] as const)
      expectPixel(drawn, x, y, untouched(x, y));
  });

  it("a caption darkens a bar at the bottom and leaves the rest", async () => {
    const drawn = await decodeRgba(await annotate(basePng, CAPTION));
    expectPixel(drawn, 239, 159, blend(untouched(239, 159), [0, 0, 0], 0.65), 2);
    expectPixel(drawn, 120, 20, untouched(120, 20));
    const failed = await decodeRgba(await annotate(basePng, FAILED));
    expectPixel(failed, 239, 159, blend(untouched(239, 159), rgb("#b00020"), 0.65), 2);
  });

  it("the text is in the drawing, escaped (checked in the SVG: glyphs depend on fonts)", () => {
    const svg = annotationSvg(DETECTIONS, SIZE);
    expect(svg).toContain(">cup 87%</text>");
    expect(svg).toContain(">spoon &lt;&amp;&gt; 50%</text>");
    expect(svg).toContain(">31%</text>");
    const caption = annotationSvg(CAPTION, SIZE);
    const lines = [...caption.matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(" ")).toBe(CAPTION.text);
    expect(annotationSvg(FAILED, SIZE)).toContain(">error: image cannot be decoded</text>");
  });
});
