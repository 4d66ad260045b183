/**
 * Where label text goes: estimated text widths (the display list is computed without a font
 * engine, so both renderers get the same label boxes), label boxes that stay inside the image, and
 * caption text wrapped into lines. Pure functions.
 */
import type { ImageSize } from "../../core/geometry.js";

/** Width of one character in em: wide for CJK and other full-width scripts, else a sans-serif average. */
function charEm(codePoint: number): number {
  if (codePoint >= 0x2e80) return 1;
  if (codePoint >= 0x41 && codePoint <= 0x5a) return 0.7; // capitals are wider than the average
  return 0.6;
}

/** Estimated width in pixels of `text` at `fontSize`; generous, so label backgrounds cover the glyphs. */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) em += charEm(ch.codePointAt(0) ?? 0);
  return Math.ceil(em * fontSize);
}

/** `text` cut to fit `maxWidth` pixels, ending in "…" when cut. */
export function truncateText(text: string, fontSize: number, maxWidth: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidth(`${chars.join("")}…`, fontSize) > maxWidth) chars.pop();
  return `${chars.join("").trimEnd()}…`;
}

/** Padding around label text, in pixels. */
export function labelPadding(fontSize: number): number {
  return Math.max(2, Math.round(fontSize * 0.25));
}

/** Distance from a line's top to its baseline: the ascent of common sans-serif fonts. */
export function baselineOffset(fontSize: number): number {
  return Math.round(fontSize * 0.8);
}

export interface LabelBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The text, cut to the image width when needed. */
  readonly text: string;
}

/**
 * A label's background box for a shape whose top-left corner is (x, y): above the shape when there
 * is room, else just inside its top edge; moved left to stay inside the image.
 */
export function placeLabel(text: string, x: number, y: number, fontSize: number, image: ImageSize): LabelBox {
  const pad = labelPadding(fontSize);
  const fitted = truncateText(text, fontSize, Math.max(fontSize, image.width - 2 * pad));
  const width = textWidth(fitted, fontSize) + 2 * pad;
  const height = fontSize + 2 * pad;
  const top = y - height >= 0 ? y - height : Math.max(0, Math.min(y, image.height - height));
  const left = Math.max(0, Math.min(x, image.width - width));
  return { x: Math.round(left), y: Math.round(top), width, height, text: fitted };
}

/**
 * `text` in lines of at most `maxWidth` pixels, broken at spaces (a word longer than a line is
 * broken anywhere), at most `maxLines` lines, the last cut with "…" when text is left over.
 */
export function wrapText(text: string, fontSize: number, maxWidth: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = "";
  const words = text.split(/\s+/).filter((w) => w !== "");
  for (const word of words) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (textWidth(candidate, fontSize) <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line !== "") lines.push(line);
    line = word;
    while (textWidth(line, fontSize) > maxWidth && line.length > 1) {
      const chars = [...line];
      let cut = chars.length - 1;
      while (cut > 1 && textWidth(chars.slice(0, cut).join(""), fontSize) > maxWidth) cut--;
      lines.push(chars.slice(0, cut).join(""));
      line = chars.slice(cut).join("");
    }
  }
  if (line !== "") lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, Math.max(1, maxLines));
  const last = kept.length - 1;
  kept[last] = truncateText(`${kept[last]} ${lines[last + 1] ?? ""}`, fontSize, maxWidth);
  if (!kept[last]!.endsWith("…")) kept[last] = `${kept[last]}…`;
  return kept;
}
