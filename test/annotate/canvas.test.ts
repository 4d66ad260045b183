/**
 * annotateCanvas on a recording 2D context: it paints the same display list the SVG is made of.
 * (The real-browser test of the canvas renderer is in test/browser.)
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { annotateCanvas, type CanvasContext2D, type CanvasLike, labelColor } from "../../client/annotate/index.js";
import { DETECTIONS, SEGMENTATION, SIZE } from "./support/results.js";

type Call = readonly [string, ...unknown[]];

/** A 2D context that records its drawing calls, with the stroke colour at each stroke(). */
function recordingContext(width: number, height: number): CanvasContext2D<string> & { calls: Call[] } {
  const calls: Call[] = [];
  const ctx = {
    canvas: { width, height },
    calls,
    fillStyle: "" as unknown,
    strokeStyle: "" as unknown,
    lineWidth: 1,
    lineJoin: "miter",
    globalAlpha: 1,
    font: "",
    textBaseline: "alphabetic",
    save: () => calls.push(["save"]),
    restore: () => calls.push(["restore"]),
    beginPath: () => calls.push(["beginPath"]),
    closePath: () => calls.push(["closePath"]),
    moveTo: (x: number, y: number) => calls.push(["moveTo", x, y]),
    lineTo: (x: number, y: number) => calls.push(["lineTo", x, y]),
    rect: (x: number, y: number, w: number, h: number) => calls.push(["rect", x, y, w, h]),
    fill: () => calls.push(["fill", ctx.fillStyle, ctx.globalAlpha]),
    stroke: () => calls.push(["stroke", ctx.strokeStyle, ctx.lineWidth]),
    fillText: (text: string, x: number, y: number) => calls.push(["fillText", text, x, y, ctx.font]),
    drawImage: (image: string, x: number, y: number, w: number, h: number) =>
      calls.push(["drawImage", image, x, y, w, h]),
  };
  return ctx;
}

describe("annotateCanvas", () => {
  it("sizes a canvas to the result's image, draws the image, then the boxes and labels", () => {
    const ctx = recordingContext(0, 0);
    const canvas: CanvasLike<string> = {
      width: 1,
      height: 1,
      getContext: () => {
        ctx.canvas.width = canvas.width;
        ctx.canvas.height = canvas.height;
        return ctx;
      },
    };
    const list = annotateCanvas(canvas, "the image", DETECTIONS);
    expect([canvas.width, canvas.height]).toEqual([SIZE.width, SIZE.height]);
    expect(ctx.calls[0]).toEqual(["drawImage", "the image", 0, 0, SIZE.width, SIZE.height]);
    const cupRect = ctx.calls.findIndex((c) => c[0] === "rect" && c[1] === 60 && c[2] === 40);
    expect(ctx.calls[cupRect]).toEqual(["rect", 60, 40, 100, 80]);
    expect(ctx.calls[cupRect + 1]).toEqual(["stroke", labelColor("cup"), 2]);
    const texts = ctx.calls.filter((c) => c[0] === "fillText").map((c) => c[1]);
    expect(texts).toEqual(["cup 87%", "spoon <&> 50%", "31%"]);
    expect(list.items.filter((i) => i.kind === "text")).toHaveLength(3);
  });

  it("scales to the size of a context's canvas and can draw over what it holds", () => {
    const ctx = recordingContext(480, 320);
    annotateCanvas(ctx, null, DETECTIONS);
    expect(ctx.calls.some((c) => c[0] === "drawImage")).toBe(false);
    expect(ctx.calls).toContainEqual(["rect", 120, 80, 200, 160]);
  });

  it("fills a mask's rectangles in one path at the mask opacity, then strokes the outline", () => {
    const ctx = recordingContext(SIZE.width, SIZE.height);
    annotateCanvas(ctx, null, SEGMENTATION);
    const fills = ctx.calls.filter((c) => c[0] === "fill");
    expect(fills[0]).toEqual(["fill", labelColor("cup"), 0.4]);
    expect(ctx.calls.filter((c) => c[0] === "moveTo")).toEqual([["moveTo", 100, 40]]);
    expect(ctx.calls.filter((c) => c[0] === "rect").length).toBeGreaterThan(10);
  });

  it("says when a canvas has no 2D context", () => {
    const canvas: CanvasLike<string> = { width: 1, height: 1, getContext: () => null };
    expect(() => annotateCanvas(canvas, "x", DETECTIONS)).toThrow(/no 2D context/);
  });
});

describe("types", () => {
  it("takes a browser's canvas, its 2D context and an offscreen canvas (checked by tsc)", () => {
    expectTypeOf<CanvasRenderingContext2D>().toExtend<CanvasContext2D<CanvasImageSource>>();
    expectTypeOf<HTMLCanvasElement>().toExtend<CanvasLike<CanvasImageSource>>();
    expectTypeOf<OffscreenCanvas>().toExtend<CanvasLike<CanvasImageSource>>();
    expectTypeOf<{ width: number }>().not.toExtend<CanvasLike<CanvasImageSource>>();
  });
});
