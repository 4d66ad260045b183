/**
 * Drawing results, shared by both client entries: the display list (what a result looks like),
 * its SVG, the canvas renderer, the style and the mask decoding. Node's sharp-based `annotate` is
 * in node.ts and exported by the Node entry only.
 */
export { type CanvasContext2D, type CanvasLike, annotateCanvas, drawDisplayList } from "./canvas.js";
export {
  type AnnotateOptions,
  annotationDisplayList,
  type DisplayItem,
  type DisplayList,
  labelText,
} from "./display-list.js";
export { decodeRle, type MaskRect, maskRects } from "./rle.js";
export {
  type AnnotationStyle,
  type AnnotationStyleInit,
  annotationStyleDefaults,
  DEFAULT_PALETTE,
  type HexColor,
  labelColor,
  resolveStyle,
} from "./style.js";
export { annotationSvg, displayListSvg, escapeXml } from "./svg.js";
