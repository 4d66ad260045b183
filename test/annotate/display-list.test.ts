/** What each kind of result becomes, checked on the display list and its SVG (no pixels, no fonts). */
import { describe, expect, it } from "vitest";
import {
  annotationDisplayList,
  annotationSvg,
  type DisplayItem,
  escapeXml,
  labelColor,
} from "../../client/annotate/index.js";
import {
  CAPTION,
  DETECTIONS,
  FAILED,
  OCR,
  OPEN_VOCABULARY,
  REGION_CATEGORY,
  SEGMENTATION,
  SIZE,
} from "./support/results.js";

const kinds = (items: readonly DisplayItem[]) => items.map((i) => i.kind);
const texts = (items: readonly DisplayItem[]) => items.flatMap((i) => (i.kind === "text" ? [i.text] : []));
const strokedRects = (items: readonly DisplayItem[]) =>
  items.flatMap((i) => (i.kind === "rect" && i.stroke !== undefined ? [[i.x, i.y, i.width, i.height, i.stroke]] : []));

describe("annotationDisplayList", () => {
  it("draws each detection as an outlined box with a label of its colour", () => {
    const { items, size } = annotationDisplayList(DETECTIONS);
    expect(size).toEqual(SIZE);
    expect(strokedRects(items)).toEqual([
      [60, 40, 100, 80, labelColor("cup")],
      [130, 100, 40, 40, labelColor("spoon <&>")],
      [190, 10, 40, 40, labelColor("")],
    ]);
    expect(texts(items)).toEqual(["cup 87%", "spoon <&> 50%", "31%"]);
    const background = items.find((i) => i.kind === "rect" && i.stroke === undefined);
    expect(background).toMatchObject({ fill: labelColor("cup"), fillOpacity: 1 });
  });

  it("leaves confidences out when asked, and an unlabelled box without a label", () => {
    const items = annotationDisplayList(DETECTIONS, undefined, { showConfidence: false }).items;
    expect(texts(items)).toEqual(["cup", "spoon <&>"]);
  });

  it("snaps odd line widths to pixel centres so edges stay crisp", () => {
    const items = annotationDisplayList(DETECTIONS, undefined, { lineWidth: 3 }).items;
    expect(strokedRects(items)[0]).toEqual([60.5, 40.5, 100, 80, labelColor("cup")]);
  });

  it("scales a result to a different image size", () => {
    const items = annotationDisplayList(DETECTIONS, { width: 480, height: 320 }).items;
    expect(strokedRects(items)[0]).toEqual([120, 80, 200, 160, labelColor("cup")]);
  });

  it("draws a segmented instance as its mask, then its outline and label", () => {
    const items = annotationDisplayList(SEGMENTATION).items;
    expect(kinds(items)).toEqual(["mask", "polygon", "rect", "text"]);
    const [mask, polygon] = items;
    expect(mask).toMatchObject({ kind: "mask", fill: labelColor("cup"), opacity: 0.4 });
    expect(polygon).toMatchObject({
      kind: "polygon",
      stroke: labelColor("cup"),
      points: SEGMENTATION.instances[0]!.polygons[0],
    });
    expect(annotationDisplayList(SEGMENTATION, undefined, { maskOpacity: 0 }).items[0]!.kind).toBe("polygon");
  });

  it("draws OCR lines as quadrilaterals with their text", () => {
    const items = annotationDisplayList(OCR).items;
    expect(kinds(items)).toEqual(["polygon", "rect", "text"]);
    expect(items[0]).toMatchObject({ points: OCR.lines[0]!.quad });
    expect(texts(items)).toEqual(["ESPRESSO 90%"]);
  });

  it("draws open-vocabulary boxes and instances", () => {
    expect(strokedRects(annotationDisplayList(OPEN_VOCABULARY).items)).toHaveLength(1);
    const both = { ...OPEN_VOCABULARY, instances: SEGMENTATION.instances };
    expect(kinds(annotationDisplayList(both).items)).toContain("mask");
  });

  it("puts text results in a caption bar, or on the region when it is given", () => {
    const caption = annotationDisplayList(CAPTION).items;
    expect(caption[0]).toMatchObject({ kind: "rect", x: 0, width: SIZE.width, fill: "#000000" });
    expect(texts(caption).join(" ")).toBe(CAPTION.text);
    const top = annotationDisplayList(CAPTION, undefined, { captionPosition: "top" }).items[0];
    expect(top).toMatchObject({ y: 0 });
    const region = annotationDisplayList(REGION_CATEGORY, undefined, { region: { x1: 60, y1: 40, x2: 160, y2: 120 } });
    expect(strokedRects(region.items)).toEqual([[60, 40, 100, 80, labelColor("cup")]]);
    expect(texts(region.items)).toEqual(["cup 80%"]);
  });

  it("shows a failed image's error instead of its empty result", () => {
    const items = annotationDisplayList(FAILED).items;
    expect(items[0]).toMatchObject({ kind: "rect", fill: "#b00020" });
    expect(texts(items)).toEqual(["error: image cannot be decoded"]);
  });
});

describe("annotationSvg", () => {
  it("is an SVG of the image's size with every text escaped", () => {
    const svg = annotationSvg(DETECTIONS);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160"')).toBe(true);
    expect(svg).not.toContain("<&>");
    expect(svg).toContain("spoon &lt;&amp;&gt; 50%");
    expect(svg.match(/<rect /g)).toHaveLength(6);
  });

  it("draws a mask as one path of its rectangles", () => {
    const svg = annotationSvg(SEGMENTATION);
    expect(svg).toMatch(/<path d="M[^"]+z" fill="#[0-9a-f]{6}" fill-opacity="0.4" shape-rendering="crispEdges"\/>/);
  });

  it.each([
    ["<script>&\"'", "&lt;script&gt;&amp;&quot;&apos;"],
    ["bell\u0007 and lone \ud800 surrogate", "bell\ufffd and lone \ufffd surrogate"],
    ["emoji 🙂 stays", "emoji 🙂 stays"],
  ])("escapes %j", (text, want) => {
    expect(escapeXml(text)).toBe(want);
  });
});
