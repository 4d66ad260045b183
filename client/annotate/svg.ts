/**
 * The display list (display-list.ts) as an SVG document the size of the image, transparent where
 * nothing is drawn: Node composites it over the image with sharp (node.ts); anyone else can put it
 * in an <img> or over one. All text is escaped, so labels from the model cannot inject markup.
 */
import type { ImageSize } from "../../core/geometry.js";
import type { TaskResult } from "../../core/results.js";
import { type AnnotateOptions, annotationDisplayList, type DisplayItem, type DisplayList } from "./display-list.js";

const XML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Controls other than tab, LF and CR, U+FFFE/U+FFFF, and surrogates without their other half. */
const FORBIDDEN_IN_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters XML forbids.
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` safe inside an SVG element or a quoted attribute. Characters XML 1.0 forbids (controls
 * other than tab and newline, lone surrogates) become U+FFFD, so the document always parses.
 */
export function escapeXml(text: string): string {
  const clean = text.replace(FORBIDDEN_IN_XML, "\ufffd");
  return clean.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** A number for an attribute: at most 2 decimals, no exponent. */
function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function itemSvg(item: DisplayItem): string {
  switch (item.kind) {
    case "rect": {
      const fill =
        item.fill === undefined ? 'fill="none"' : `fill="${item.fill}" fill-opacity="${num(item.fillOpacity)}"`;
      const stroke =
        item.stroke === undefined || item.lineWidth === 0
          ? ""
          : ` stroke="${item.stroke}" stroke-width="${num(item.lineWidth)}"`;
      return `<rect x="${num(item.x)}" y="${num(item.y)}" width="${num(item.width)}" height="${num(item.height)}" ${fill}${stroke}/>`;
    }
    case "polygon": {
      const points = item.points.map((p) => `${num(p.x)},${num(p.y)}`).join(" ");
      return `<polygon points="${points}" fill="none" stroke="${item.stroke}" stroke-width="${num(item.lineWidth)}" stroke-linejoin="round"/>`;
    }
    case "mask": {
      const d = item.rects.map(([x, y, w, h]) => `M${num(x)} ${num(y)}h${num(w)}v${num(h)}h${num(-w)}z`).join("");
      return `<path d="${d}" fill="${item.fill}" fill-opacity="${num(item.opacity)}" shape-rendering="crispEdges"/>`;
    }
    case "text":
      return `<text x="${num(item.x)}" y="${num(item.y)}" font-family="${escapeXml(item.fontFamily)}" font-size="${num(item.fontSize)}" fill="${item.color}" xml:space="preserve">${escapeXml(item.text)}</text>`;
  }
}

/** A display list as a standalone SVG document. */
export function displayListSvg(list: DisplayList): string {
  const { width, height } = list.size;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...list.items.map(itemSvg),
    "</svg>",
  ].join("\n");
}

/**
 * `result` drawn as an SVG overlay for an image of `imageSize` (default the result's own size).
 * See annotationDisplayList for the options and what is drawn for each kind of result.
 */
export function annotationSvg(result: TaskResult, imageSize?: ImageSize, options?: AnnotateOptions): string {
  return displayListSvg(annotationDisplayList(result, imageSize, options));
}
