/**
 * The one place that decides what a result looks like: `annotationDisplayList` turns any task
 * result into a list of plain shapes (rectangles, polygons, mask rectangles, text) with their
 * colours and sizes. The SVG renderer (svg.ts, used by Node's sharp) and the canvas renderer
 * (canvas.ts, browsers) only paint that list, so both draw the same geometry.
 */
import type { BoundingBox, ImageSize, Point, Region } from "../../core/geometry.js";
import type { Detection, OcrLine, SegmentedInstance, TaskResult } from "../../core/results.js";
import { baselineOffset, labelPadding, placeLabel, wrapText } from "./layout.js";
import { type MaskRect, maskRects } from "./rle.js";
import {
  type AnnotationStyle,
  type AnnotationStyleInit,
  type HexColor,
  labelColor,
  resolveStyle,
  textColorOn,
} from "./style.js";

export type DisplayItem =
  /** An axis-aligned rectangle, stroked and/or filled. */
  | {
      readonly kind: "rect";
      readonly x: number;
      readonly y: number;
      readonly width: number;
      readonly height: number;
      readonly stroke?: HexColor;
      readonly lineWidth: number;
      readonly fill?: HexColor;
      readonly fillOpacity: number;
    }
  /** A closed polygon (segmentation outline, OCR quadrilateral). */
  | {
      readonly kind: "polygon";
      readonly points: readonly Point[];
      readonly stroke: HexColor;
      readonly lineWidth: number;
    }
  /** A mask as filled rectangles (rle.ts maskRects), painted at `opacity`. */
  | { readonly kind: "mask"; readonly rects: readonly MaskRect[]; readonly fill: HexColor; readonly opacity: number }
  /** One line of text; (x, y) is the start of its baseline. */
  | {
      readonly kind: "text";
      readonly x: number;
      readonly y: number;
      readonly text: string;
      readonly color: HexColor;
      readonly fontSize: number;
      readonly fontFamily: string;
    };

/** What to paint over an image of `size`, in order (later items over earlier ones). */
export interface DisplayList {
  readonly size: ImageSize;
  readonly items: readonly DisplayItem[];
}

/** Options of every annotate function: the style, flat, and the input region of region tasks. */
export interface AnnotateOptions extends AnnotationStyleInit {
  /**
   * The region the call asked about ([x1, y1, x2, y2] or a box, pixels of the result's image).
   * Region tasks (region_to_category, _description, _ocr) answer with text only; with the region
   * given, the text is drawn as the label of that region instead of in a caption bar. Other result
   * kinds ignore it. Default none.
   */
  readonly region?: Region | BoundingBox;
}

const CAPTION_BACKGROUND: HexColor = "#000000";
const ERROR_BACKGROUND: HexColor = "#b00020";

/** Builds the items of one result; coordinates come in result pixels and go out in target pixels. */
class Builder {
  readonly items: DisplayItem[] = [];
  private readonly sx: number;
  private readonly sy: number;

  constructor(
    readonly size: ImageSize,
    source: ImageSize,
    readonly style: AnnotationStyle,
  ) {
    this.sx = source.width > 0 ? size.width / source.width : 1;
    this.sy = source.height > 0 ? size.height / source.height : 1;
  }

  /** A point of the result's image in pixels of the target image. */
  at(p: Point): Point {
    return { x: p.x * this.sx, y: p.y * this.sy };
  }

  /** A coordinate on the pixel grid where a line of the style's width has crisp edges. */
  private snap(v: number): number {
    return this.style.lineWidth % 2 === 1 ? Math.floor(v) + 0.5 : Math.round(v);
  }

  /** A label whose box sits at the top-left corner (x, y), in target pixels. */
  label(text: string, color: HexColor, x: number, y: number): void {
    if (text === "") return;
    const { fontSize, fontFamily } = this.style;
    const box = placeLabel(text, x, y, fontSize, this.size);
    this.items.push({ kind: "rect", ...box, lineWidth: 0, fill: color, fillOpacity: 1 });
    const pad = labelPadding(fontSize);
    const baseline = box.y + pad + baselineOffset(fontSize);
    this.items.push({
      kind: "text",
      x: box.x + pad,
      y: baseline,
      text: box.text,
      color: textColorOn(color),
      fontSize,
      fontFamily,
    });
  }

  box(b: BoundingBox, color: HexColor, text: string): void {
    const x1 = this.snap(b.x1 * this.sx);
    const y1 = this.snap(b.y1 * this.sy);
    const x2 = this.snap(b.x2 * this.sx);
    const y2 = this.snap(b.y2 * this.sy);
    const fill = this.style.boxFillOpacity > 0 ? { fill: color } : {};
    this.items.push({
      kind: "rect",
      x: Math.min(x1, x2),
      y: Math.min(y1, y2),
      width: Math.abs(x2 - x1),
      height: Math.abs(y2 - y1),
      stroke: color,
      lineWidth: this.style.lineWidth,
      ...fill,
      fillOpacity: this.style.boxFillOpacity,
    });
    const half = this.style.lineWidth / 2;
    this.label(text, color, Math.min(x1, x2) - half, Math.min(y1, y2) - half);
  }

  polygon(points: readonly Point[], color: HexColor): void {
    if (points.length < 2) return;
    this.items.push({
      kind: "polygon",
      points: points.map((p) => this.at(p)),
      stroke: color,
      lineWidth: this.style.lineWidth,
    });
  }

  mask(instance: SegmentedInstance, color: HexColor): void {
    if (this.style.maskOpacity === 0) return;
    const rects = maskRects(instance.mask).map(
      ([x, y, w, h]) => [x * this.sx, y * this.sy, w * this.sx, h * this.sy] as const,
    );
    if (rects.length > 0) this.items.push({ kind: "mask", rects, fill: color, opacity: this.style.maskOpacity });
  }

  /** Text over the full width of the image, wrapped, at the style's caption position. */
  captionBar(text: string, background: HexColor): void {
    const { fontSize, fontFamily } = this.style;
    const pad = labelPadding(fontSize);
    const lineHeight = Math.round(fontSize * 1.25);
    const maxLines = Math.max(1, Math.floor((this.size.height * this.style.maxCaptionFraction - 2 * pad) / lineHeight));
    const lines = wrapText(text, fontSize, Math.max(fontSize, this.size.width - 2 * pad), maxLines);
    if (lines.length === 0) return;
    const height = lines.length * lineHeight + 2 * pad;
    const top = this.style.captionPosition === "top" ? 0 : Math.max(0, this.size.height - height);
    this.items.push({
      kind: "rect",
      x: 0,
      y: top,
      width: this.size.width,
      height,
      lineWidth: 0,
      fill: background,
      fillOpacity: 0.65,
    });
    lines.forEach((line, i) => {
      const y = top + pad + i * lineHeight + baselineOffset(fontSize);
      this.items.push({ kind: "text", x: pad, y, text: line, color: "#ffffff", fontSize, fontFamily });
    });
  }
}

/** "cup 87%", "87%" for an unlabelled region proposal, or the label alone when confidences are off. */
export function labelText(label: string, confidence: number | undefined, style: AnnotationStyle): string {
  if (!style.showConfidence || confidence === undefined || !Number.isFinite(confidence)) return label;
  const percent = `${Math.round(confidence * 100)}%`;
  return label === "" ? percent : `${label} ${percent}`;
}

function regionBox(region: Region | BoundingBox): BoundingBox {
  if ("x1" in region) return region;
  const [x1, y1, x2, y2] = region;
  return { x1, y1, x2, y2 };
}

function drawDetections(b: Builder, detections: readonly Detection[]): void {
  for (const d of detections)
    b.box(d.box, labelColor(d.label, b.style.palette), labelText(d.label, d.confidence, b.style));
}

function drawInstances(b: Builder, instances: readonly SegmentedInstance[]): void {
  for (const instance of instances) b.mask(instance, labelColor(instance.label, b.style.palette));
  for (const instance of instances) {
    const color = labelColor(instance.label, b.style.palette);
    for (const polygon of instance.polygons) b.polygon(polygon, color);
    const text = labelText(instance.label, instance.confidence, b.style);
    const corner = b.at({ x: instance.box.x1, y: instance.box.y1 });
    b.label(text, color, corner.x, corner.y);
  }
}

function drawOcrLines(b: Builder, lines: readonly OcrLine[]): void {
  for (const line of lines) {
    const color = labelColor(line.text, b.style.palette);
    b.polygon(line.quad, color);
  }
  for (const line of lines) {
    const color = labelColor(line.text, b.style.palette);
    const corner = b.at({ x: Math.min(...line.quad.map((p) => p.x)), y: Math.min(...line.quad.map((p) => p.y)) });
    b.label(labelText(line.text, line.confidence, b.style), color, corner.x, corner.y);
  }
}

/**
 * The shapes that show `result` on an image of `imageSize` (default the result's own image size;
 * a different size, e.g. a thumbnail, scales every coordinate). Throws RangeError for a style
 * option out of range or a malformed mask.
 */
export function annotationDisplayList(
  result: TaskResult,
  imageSize: ImageSize = result.imageSize,
  options: AnnotateOptions = {},
): DisplayList {
  const { region, ...styleInit } = options;
  const b = new Builder(imageSize, result.imageSize, resolveStyle(imageSize, styleInit));
  if (result.error !== undefined) {
    b.captionBar(`error: ${result.error.message}`, ERROR_BACKGROUND);
    return { size: imageSize, items: b.items };
  }
  switch (result.kind) {
    case "text":
      if (region !== undefined) {
        const text = labelText(result.text, result.confidence, b.style);
        b.box(regionBox(region), labelColor(result.text, b.style.palette), text);
      } else b.captionBar(result.text, CAPTION_BACKGROUND);
      break;
    case "detections":
      drawDetections(b, result.detections);
      break;
    case "segmentation":
      drawInstances(b, result.instances);
      break;
    case "ocr":
      drawOcrLines(b, result.lines);
      break;
    case "open_vocabulary":
      drawInstances(b, result.instances);
      drawDetections(b, result.detections);
      break;
  }
  return { size: imageSize, items: b.items };
}
