/**
 * The page's pure parts: which tasks it offers, its defaults, turning the form's text into checked
 * run settings (every problem named, so the page can say what to fix), and the text it shows for
 * timings and errors. No DOM here, so it is tested without a browser.
 */
import type { Region } from "../core/geometry.js";
import type { TaskName } from "../core/tasks.js";
import { TASKS } from "../core/tasks.js";

/** A task the page offers; `input` says whether it needs the Text field or a Region. */
export interface UiTask {
  readonly name: TaskName;
  readonly label: string;
  readonly input: "none" | "text" | "region";
}

/** The page's labels; the token and input kind come from the one task table (core/tasks.ts). */
const LABELS: Readonly<Partial<Record<TaskName, string>>> = {
  caption: "Caption",
  detailed_caption: "Detailed caption",
  more_detailed_caption: "More detailed caption",
  object_detection: "Object detection",
  dense_region_caption: "Dense region captions",
  region_proposal: "Region proposals",
  ocr: "OCR (text only)",
  ocr_with_region: "OCR with regions",
  phrase_grounding: "Phrase grounding (text: a caption)",
  open_vocabulary_detection: "Open-vocabulary detection (text: what to find)",
  referring_expression_segmentation: "Referring expression segmentation (text: what to outline)",
  region_to_category: "Region category (region: drag a box)",
  region_to_description: "Region description (region: drag a box)",
  region_to_ocr: "Region OCR (region: drag a box)",
  region_to_segmentation: "Region segmentation (region: drag a box)",
};

/** Every task, in the task table's order, labelled with its token. */
export const UI_TASKS: readonly UiTask[] = Object.values(TASKS).flatMap((spec): UiTask[] => {
  const label = LABELS[spec.name];
  if (label === undefined) return [];
  return [{ name: spec.name, label: `${label} ${spec.token}`, input: spec.input }];
});

export type UiProtocol = "connect" | "grpc-web";

/**
 * The form's starting values. Few tokens and one beam: quick on a CPU server and on the tiny test
 * model; raise them for real answers (Florence-2's own examples use 1024 tokens and 3 beams).
 */
export const uiDefaults = {
  task: "caption",
  maxNewTokens: 32,
  numBeams: 1,
  protocol: "connect",
} as const satisfies { task: TaskName; maxNewTokens: number; numBeams: number; protocol: UiProtocol };

/** The form's fields as the page reads them: text, untrimmed. */
export interface FormValues {
  readonly task: string;
  readonly text: string;
  /** "x1, y1, x2, y2" in image pixels (dragging a box on the image fills it in). */
  readonly region: string;
  readonly maxNewTokens: string;
  readonly numBeams: string;
  /** The "show the answer as it is generated" box. */
  readonly stream: boolean;
  readonly protocol: string;
  readonly token: string;
  /** Blank = the server that served the page. */
  readonly serverUrl: string;
}

/** Checked settings of one run. */
export interface RunSettings {
  readonly task: TaskName;
  /** Only for tasks that take text. */
  readonly text?: string;
  /** Only for region tasks: x1, y1, x2, y2 in image pixels. */
  readonly region?: Region;
  readonly maxNewTokens: number;
  readonly numBeams: number;
  /** Call RunStream and show partial texts, instead of Run. */
  readonly stream: boolean;
  readonly protocol: UiProtocol;
  readonly token?: string;
  readonly baseUrl: string;
}

export type Parsed =
  | { readonly ok: true; readonly settings: RunSettings }
  | { readonly ok: false; readonly problems: string[] };

function wholeNumber(text: string, field: string, min: number, problems: string[]): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isInteger(value) || value < min) {
    problems.push(`${field} must be a whole number of at least ${min}, got ${JSON.stringify(text)}`);
    return min;
  }
  return value;
}

function serverBase(text: string, pageOrigin: string, problems: string[]): string {
  const given = text.trim();
  if (given === "") return pageOrigin;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    problems.push(`Server must be a URL such as http://127.0.0.1:50051, got ${JSON.stringify(given)}`);
    return pageOrigin;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`Server must be an http:// or https:// URL, got ${JSON.stringify(given)}`);
    return pageOrigin;
  }
  return url.href.replace(/\/+$/, "");
}

const REGION_HINT = "four numbers x1, y1, x2, y2 in image pixels with x1 < x2 and y1 < y2 (drag a box on the image)";

/** "x1, y1, x2, y2" (commas and/or spaces) as a Region, or a problem naming what is wrong. */
export function parseRegion(text: string): Region | string {
  const parts = text.trim() === "" ? [] : text.trim().split(/[\s,]+/);
  const numbers = parts.map(Number);
  if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n) || n < 0))
    return `Region must be ${REGION_HINT}, got ${JSON.stringify(text)}`;
  const [x1, y1, x2, y2] = numbers as [number, number, number, number];
  if (!(x1 < x2 && y1 < y2)) return `Region must be ${REGION_HINT}, got ${JSON.stringify(text)}`;
  return [x1, y1, x2, y2];
}

/** The form's text for a region. */
export function formatRegion(region: Region): string {
  return region.join(", ");
}

/**
 * The region of a drag from `from` to `to` (image pixels, either direction, possibly past the
 * edges): clamped to the image and rounded outwards to whole pixels; undefined when it has no area.
 */
export function regionFromDrag(
  from: { readonly x: number; readonly y: number },
  to: { readonly x: number; readonly y: number },
  image: { readonly width: number; readonly height: number },
): Region | undefined {
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const x1 = Math.floor(clamp(Math.min(from.x, to.x), image.width));
  const y1 = Math.floor(clamp(Math.min(from.y, to.y), image.height));
  const x2 = Math.ceil(clamp(Math.max(from.x, to.x), image.width));
  const y2 = Math.ceil(clamp(Math.max(from.y, to.y), image.height));
  return x1 < x2 && y1 < y2 ? [x1, y1, x2, y2] : undefined;
}

/** The form's values as run settings, or every problem found (in the form's order). */
export function parseSettings(values: FormValues, pageOrigin: string): Parsed {
  const problems: string[] = [];
  const task = UI_TASKS.find((t) => t.name === values.task);
  if (task === undefined) problems.push(`Task ${JSON.stringify(values.task)} is not one this page offers`);
  const text = values.text.trim();
  if (task?.input === "text" && text === "") problems.push(`${task.label} needs text: fill in the Text field`);
  const region = task?.input === "region" ? parseRegion(values.region) : undefined;
  if (typeof region === "string") problems.push(region);
  const maxNewTokens = wholeNumber(values.maxNewTokens, "Max new tokens", 1, problems);
  const numBeams = wholeNumber(values.numBeams, "Beams", 1, problems);
  const protocol = values.protocol;
  if (protocol !== "connect" && protocol !== "grpc-web")
    problems.push(`Protocol must be Connect or gRPC-Web, got ${JSON.stringify(protocol)}`);
  const baseUrl = serverBase(values.serverUrl, pageOrigin, problems);
  if (problems.length > 0 || task === undefined) return { ok: false, problems };
  const token = values.token.trim();
  return {
    ok: true,
    settings: {
      task: task.name,
      ...(task.input === "text" ? { text } : {}),
      ...(region === undefined || typeof region === "string" ? {} : { region }),
      maxNewTokens,
      numBeams,
      stream: values.stream,
      protocol: protocol as UiProtocol,
      ...(token === "" ? {} : { token }),
      baseUrl,
    },
  };
}

/** The timings the client reports for a call (client/results.ts Timings), as the page reads them. */
export interface ShownTimings {
  readonly queueMs: number;
  readonly modelMs: number;
  readonly engineQueueMs?: number;
  readonly preprocessMs?: number;
  readonly visionMs?: number;
  readonly encoderMs?: number;
  readonly decoderMs?: number;
  readonly postprocessMs?: number;
}

const TIMING_LABELS: readonly (readonly [keyof ShownTimings, string])[] = [
  ["queueMs", "Server queue"],
  ["modelMs", "Model (engine call)"],
  ["engineQueueMs", "Engine queue"],
  ["preprocessMs", "Preprocess"],
  ["visionMs", "Vision encoder"],
  ["encoderMs", "Text encoder"],
  ["decoderMs", "Decoder"],
  ["postprocessMs", "Postprocess"],
];

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Label/value rows: the round trip the page measured first, then what the server reported. */
export function timingRows(roundTripMs: number, timings: ShownTimings | undefined): [string, string][] {
  const rows: [string, string][] = [["Round trip", ms(roundTripMs)]];
  if (timings === undefined) return rows;
  for (const [key, label] of TIMING_LABELS) {
    const value = timings[key];
    if (value !== undefined) rows.push([label, ms(value)]);
  }
  return rows;
}

/** "InvalidArgument" (connect's Code enum name) as gRPC spells it: "INVALID_ARGUMENT". */
export function grpcCodeName(enumName: string): string {
  return enumName.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The error line the page shows: the status code (name and number) and the server's message. */
export function errorText(code: number, enumName: string | undefined, message: string): string {
  return `${grpcCodeName(enumName ?? "Unknown")} (${code}): ${message}`;
}
