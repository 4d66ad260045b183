/**
 * The page's pure parts: which tasks it offers, its defaults, turning the form's text into checked
 * run settings (every problem named, so the page can say what to fix), and the text it shows for
 * timings and errors. No DOM here, so it is tested without a browser.
 */
import type { TaskName } from "../core/tasks.js";
import { TASKS } from "../core/tasks.js";

/** A task the page offers; `input` says whether the text box is needed. */
export interface UiTask {
  readonly name: TaskName;
  readonly label: string;
  readonly input: "none" | "text";
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
};

/**
 * The tasks that need no region: a region needs drawing on the image first, which this page does
 * not offer (the CLI and the clients take one).
 */
export const UI_TASKS: readonly UiTask[] = Object.values(TASKS).flatMap((spec): UiTask[] => {
  const label = LABELS[spec.name];
  if (label === undefined || spec.input === "region") return [];
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
  readonly maxNewTokens: string;
  readonly numBeams: string;
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
  readonly maxNewTokens: number;
  readonly numBeams: number;
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

/** The form's values as run settings, or every problem found (in the form's order). */
export function parseSettings(values: FormValues, pageOrigin: string): Parsed {
  const problems: string[] = [];
  const task = UI_TASKS.find((t) => t.name === values.task);
  if (task === undefined) problems.push(`Task ${JSON.stringify(values.task)} is not one this page offers`);
  const text = values.text.trim();
  if (task?.input === "text" && text === "") problems.push(`${task.label} needs text: fill in the Text field`);
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
      maxNewTokens,
      numBeams,
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
