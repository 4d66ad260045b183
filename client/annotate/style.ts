/**
 * How results are drawn: the typed style options with their defaults, the colour of a label, and
 * the sizes that scale with the image. Pure functions: the SVG (Node, sharp) and canvas (browser)
 * renderers both get their colours and sizes from here, through the display list.
 */
import type { ImageSize } from "../../core/geometry.js";

/** A CSS colour as "#rrggbb". */
export type HexColor = `#${string}`;

/** Every style option; AnnotationStyleInit leaves each one optional. */
export interface AnnotationStyle {
  /**
   * Colours given to labels: a label always gets the same one (a hash of its text picks it).
   * Default DEFAULT_PALETTE, 16 colours that stay apart on photographs.
   */
  readonly palette: readonly HexColor[];
  /** Outline width in pixels. Default: 1/250 of the image's shorter side, at least 2, rounded to even. */
  readonly lineWidth: number;
  /** Label text size in pixels. Default: 1/28 of the image's shorter side, clamped to 11..48. */
  readonly fontSize: number;
  /** Font family list of the labels. Default DejaVu Sans, then Liberation Sans, Arial, sans-serif. */
  readonly fontFamily: string;
  /** Append the confidence as a percentage to each label ("cup 87%"). Default true. */
  readonly showConfidence: boolean;
  /** Opacity of mask fills (segmentation). Default 0.4. */
  readonly maskOpacity: number;
  /** Opacity of box fills; 0 leaves the inside of a box untouched. Default 0. */
  readonly boxFillOpacity: number;
  /** Where a text result's caption bar sits. Default "bottom". */
  readonly captionPosition: "top" | "bottom";
  /** Longest caption bar, as a fraction of the image height; longer text is cut with "…". Default 0.4. */
  readonly maxCaptionFraction: number;
}

export type AnnotationStyleInit = Partial<AnnotationStyle>;

/** Distinct, saturated colours readable under both black and white text (picked by luminance). */
export const DEFAULT_PALETTE: readonly HexColor[] = [
  "#e6194b",
  "#3cb44b",
  "#ffe119",
  "#4363d8",
  "#f58231",
  "#911eb4",
  "#46f0f0",
  "#f032e6",
  "#bcf60c",
  "#fabebe",
  "#008080",
  "#9a6324",
  "#800000",
  "#aaffc3",
  "#808000",
  "#000075",
];

/** The defaults that do not depend on the image size. */
export const annotationStyleDefaults = {
  palette: DEFAULT_PALETTE,
  fontFamily: "DejaVu Sans, Liberation Sans, Arial, sans-serif",
  showConfidence: true,
  maskOpacity: 0.4,
  boxFillOpacity: 0,
  captionPosition: "bottom",
  maxCaptionFraction: 0.4,
} as const satisfies Omit<AnnotationStyle, "lineWidth" | "fontSize">;

/** Outline width for an image: thin on thumbnails, visible on large photos; even, so edges stay crisp. */
export function defaultLineWidth(size: ImageSize): number {
  const side = Math.min(size.width, size.height);
  return Math.max(2, 2 * Math.round(side / 500));
}

/** Label text size for an image: readable on small images without covering large ones. */
export function defaultFontSize(size: ImageSize): number {
  const side = Math.min(size.width, size.height);
  return Math.min(48, Math.max(11, Math.round(side / 28)));
}

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max)
    throw new RangeError(`annotation style ${name} ${value} must be a number in [${min}, ${max}]`);
}

/** The full style for an image: the caller's options over the defaults, each option checked. */
export function resolveStyle(size: ImageSize, init: AnnotationStyleInit = {}): AnnotationStyle {
  const style: AnnotationStyle = {
    ...annotationStyleDefaults,
    lineWidth: defaultLineWidth(size),
    fontSize: defaultFontSize(size),
    ...Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)),
  };
  checkNumber("lineWidth", style.lineWidth, 0, 1000);
  checkNumber("fontSize", style.fontSize, 1, 1000);
  checkNumber("maskOpacity", style.maskOpacity, 0, 1);
  checkNumber("boxFillOpacity", style.boxFillOpacity, 0, 1);
  checkNumber("maxCaptionFraction", style.maxCaptionFraction, 0, 1);
  if (style.palette.length === 0) throw new RangeError("annotation style palette must hold at least one colour");
  for (const colour of style.palette)
    if (!/^#[0-9a-fA-F]{6}$/.test(colour))
      throw new RangeError(`annotation style palette colour ${JSON.stringify(colour)} must be "#rrggbb"`);
  if (style.captionPosition !== "top" && style.captionPosition !== "bottom")
    throw new RangeError(`annotation style captionPosition ${String(style.captionPosition)} must be "top" or "bottom"`);
  return style;
}

/** FNV-1a over the UTF-16 code units: a stable, well-spread hash of a label. */
export function labelHash(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The colour of a label: the same label gets the same colour in every image and run. */
export function labelColor(label: string, palette: readonly HexColor[] = DEFAULT_PALETTE): HexColor {
  return palette[labelHash(label) % palette.length]!;
}

/** Black or white, whichever reads better on `background` (WCAG relative luminance). */
export function textColorOn(background: HexColor): HexColor {
  const channel = (i: number) => {
    const c = Number.parseInt(background.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return luminance > 0.179 ? "#000000" : "#ffffff";
}
