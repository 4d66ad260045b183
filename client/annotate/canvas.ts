/**
 * The display list (display-list.ts) painted on a 2D canvas, for browsers (no sharp, no DOM
 * parsing). The context is typed by the few members used, so a browser's CanvasRenderingContext2D,
 * an OffscreenCanvasRenderingContext2D or a Node canvas library's context all fit.
 */
import type { ImageSize } from "../../core/geometry.js";
import type { TaskResult } from "../../core/results.js";
import { type AnnotateOptions, annotationDisplayList, type DisplayItem, type DisplayList } from "./display-list.js";

/** The members of a 2D context the renderer uses; `Img` is what drawImage takes (CanvasImageSource in a browser). */
export interface CanvasContext2D<Img = unknown> {
  readonly canvas: { width: number; height: number };
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineJoin: string;
  globalAlpha: number;
  font: string;
  textBaseline: string;
  save(): void;
  restore(): void;
  beginPath(): void;
  closePath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  rect(x: number, y: number, width: number, height: number): void;
  fill(): void;
  stroke(): void;
  fillText(text: string, x: number, y: number): void;
  drawImage(image: Img, dx: number, dy: number, dw: number, dh: number): void;
}

/** A canvas element (HTMLCanvasElement, OffscreenCanvas): something with a size and a 2D context. */
export interface CanvasLike<Img = unknown> {
  width: number;
  height: number;
  getContext(kind: "2d"): CanvasContext2D<Img> | null;
}

function paintItem<Img>(ctx: CanvasContext2D<Img>, item: DisplayItem): void {
  ctx.save();
  switch (item.kind) {
    case "rect":
      if (item.fill !== undefined && item.fillOpacity > 0) {
        ctx.globalAlpha = item.fillOpacity;
        ctx.fillStyle = item.fill;
        ctx.beginPath();
        ctx.rect(item.x, item.y, item.width, item.height);
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      if (item.stroke !== undefined && item.lineWidth > 0) {
        ctx.strokeStyle = item.stroke;
        ctx.lineWidth = item.lineWidth;
        ctx.beginPath();
        ctx.rect(item.x, item.y, item.width, item.height);
        ctx.stroke();
      }
      break;
    case "polygon":
      ctx.strokeStyle = item.stroke;
      ctx.lineWidth = item.lineWidth;
      ctx.lineJoin = "round";
      ctx.beginPath();
      for (const [i, p] of item.points.entries()) {
        if (i === 0) ctx.moveTo(p.x, p.y);
        else ctx.lineTo(p.x, p.y);
      }
      ctx.closePath();
      ctx.stroke();
      break;
    case "mask":
      // One path for all rectangles: they never overlap, so one fill paints each pixel once.
      ctx.globalAlpha = item.opacity;
      ctx.fillStyle = item.fill;
      ctx.beginPath();
      for (const [x, y, w, h] of item.rects) ctx.rect(x, y, w, h);
      ctx.fill();
      break;
    case "text":
      ctx.fillStyle = item.color;
      ctx.font = `${item.fontSize}px ${item.fontFamily}`;
      ctx.textBaseline = "alphabetic";
      ctx.fillText(item.text, item.x, item.y);
      break;
  }
  ctx.restore();
}

/** Paints a display list onto `ctx` (over whatever it holds). */
export function drawDisplayList<Img>(ctx: CanvasContext2D<Img>, list: DisplayList): void {
  for (const item of list.items) paintItem(ctx, item);
}

function isContext<Img>(target: CanvasLike<Img> | CanvasContext2D<Img>): target is CanvasContext2D<Img> {
  return typeof (target as Partial<CanvasContext2D<Img>>).fillText === "function";
}

/**
 * Draws `image` with `result` over it. Given a canvas, it is resized to the result's image size
 * (full resolution) first; given a 2D context, the canvas keeps its size and the image and the
 * result are scaled to it. `image` null draws the result alone, over what the canvas holds.
 * Returns the display list it painted (the labels' text and boxes, e.g. for accessibility text).
 */
export function annotateCanvas<Img>(
  target: CanvasLike<Img> | CanvasContext2D<Img>,
  image: Img | null,
  result: TaskResult,
  options?: AnnotateOptions,
): DisplayList {
  let ctx: CanvasContext2D<Img>;
  if (isContext(target)) ctx = target;
  else {
    target.width = result.imageSize.width;
    target.height = result.imageSize.height;
    const got = target.getContext("2d");
    if (got === null)
      throw new TypeError("annotateCanvas: the canvas has no 2D context (is it already a WebGL canvas?)");
    ctx = got;
  }
  const size: ImageSize = { width: ctx.canvas.width, height: ctx.canvas.height };
  if (image !== null) ctx.drawImage(image, 0, 0, size.width, size.height);
  const list = annotationDisplayList(result, size, options);
  drawDisplayList(ctx, list);
  return list;
}
