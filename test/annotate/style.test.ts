import { describe, expect, it } from "vitest";
import { placeLabel, textWidth, truncateText, wrapText } from "../../client/annotate/layout.js";
import {
  DEFAULT_PALETTE,
  defaultFontSize,
  defaultLineWidth,
  labelColor,
  resolveStyle,
  textColorOn,
} from "../../client/annotate/style.js";

describe("style", () => {
  it("gives a label the same palette colour every time, and spreads labels over the palette", () => {
    expect(labelColor("cup")).toBe(labelColor("cup"));
    expect(DEFAULT_PALETTE).toContain(labelColor("cup"));
    const labels = ["person", "car", "dog", "cat", "cup", "bottle", "chair", "tv", "bus", "bike", "tree", "sign"];
    expect(new Set(labels.map((l) => labelColor(l))).size).toBeGreaterThanOrEqual(7);
    expect(labelColor("anything", ["#123456"])).toBe("#123456");
  });

  it.each([
    ["#ffffff", "#000000"],
    ["#ffe119", "#000000"],
    ["#000075", "#ffffff"],
    ["#911eb4", "#ffffff"],
  ] as const)("text on %s is %s", (background, text) => {
    expect(textColorOn(background)).toBe(text);
  });

  it.each([
    [{ width: 12, height: 9 }, 2, 11],
    [{ width: 600, height: 400 }, 2, 14],
    [{ width: 1920, height: 1080 }, 4, 39],
    [{ width: 8000, height: 6000 }, 24, 48],
  ] as const)("scales line width and font size to %o", (size, lineWidth, fontSize) => {
    expect(defaultLineWidth(size)).toBe(lineWidth);
    expect(defaultFontSize(size)).toBe(fontSize);
    expect(resolveStyle(size)).toMatchObject({ lineWidth, fontSize, showConfidence: true, maskOpacity: 0.4 });
  });

  it("takes the caller's options over the defaults, undefined meaning default", () => {
    // A JavaScript caller may pass undefined for an option it does not set.
    const init = JSON.parse('{"lineWidth": 5, "showConfidence": false}') as { lineWidth: number };
    const style = resolveStyle({ width: 100, height: 100 }, { ...init, fontSize: undefined as unknown as number });
    expect(style).toMatchObject({ lineWidth: 5, showConfidence: false, fontSize: 11 });
  });

  it.each([
    [{ maskOpacity: 1.5 }, /maskOpacity 1.5 must be a number in \[0, 1\]/],
    [{ fontSize: 0 }, /fontSize 0/],
    [{ lineWidth: Number.NaN }, /lineWidth NaN/],
    [{ palette: [] }, /at least one colour/],
    [{ palette: ["red" as `#${string}`] }, /"red" must be "#rrggbb"/],
    [{ captionPosition: "left" as "top" }, /must be "top" or "bottom"/],
  ])("rejects %o with a message saying what to fix", (init, message) => {
    expect(() => resolveStyle({ width: 10, height: 10 }, init)).toThrow(message);
  });
});

describe("layout", () => {
  it("estimates wider text for capitals and full-width characters", () => {
    expect(textWidth("", 10)).toBe(0);
    expect(textWidth("aa", 10)).toBe(12);
    expect(textWidth("AA", 10)).toBe(14);
    expect(textWidth("杯子", 10)).toBe(20);
  });

  it("cuts text to a width with an ellipsis", () => {
    expect(truncateText("short", 10, 100)).toBe("short");
    const cut = truncateText("a rather long label for a box", 10, 80);
    expect(cut.endsWith("…")).toBe(true);
    expect(textWidth(cut, 10)).toBeLessThanOrEqual(80);
  });

  it("puts a label above its box, or inside when the box touches the top, and inside the image", () => {
    const image = { width: 100, height: 100 };
    expect(placeLabel("cup", 10, 50, 10, image)).toEqual({ x: 10, y: 34, width: 24, height: 16, text: "cup" });
    expect(placeLabel("cup", 10, 5, 10, image).y).toBe(5);
    expect(placeLabel("cup", 95, 50, 10, image).x).toBe(100 - 24);
    const wide = placeLabel("a label much wider than this small image", 0, 50, 10, image);
    expect(wide.x + wide.width).toBeLessThanOrEqual(100);
  });

  it("wraps text at spaces, breaks over-long words, and cuts extra lines", () => {
    // 6 px per character at size 10: 9 characters fit in 55 px.
    expect(wrapText("one two three four", 10, 55, 5)).toEqual(["one two", "three", "four"]);
    expect(wrapText("abcdefghijkl", 10, 55, 5)).toEqual(["abcdefghi", "jkl"]);
    const cut = wrapText("one two three four five six", 10, 55, 2);
    expect(cut).toHaveLength(2);
    expect(cut[1]!.endsWith("…")).toBe(true);
    expect(wrapText("   ", 10, 60, 2)).toEqual([]);
  });
});
