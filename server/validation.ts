/**
 * Request validation and proto -> engine input conversion, in one pass: every converter records
 * what is wrong with its field in a Violations list (field path + what to do), and the handler
 * throws all of them at once before touching the engine. The bounds are core's RequestLimits
 * (ServerOptions sets them); the model's own limits (ModelInfo) are checked by
 * modelLimitViolations once the engine is loaded. Pure functions; no connect imports.
 */

import type { DecodingParams } from "../core/decoding.js";
import type { Region } from "../core/geometry.js";
import { type ImageInput, RAW_PIXEL_CHANNELS, type TaskRequest } from "../core/inputs.js";
import type { RequestLimits } from "../core/limits.js";
import type { ModelInfo } from "../core/model-info.js";
import { TASKS, type TaskName } from "../core/tasks.js";
import type { BoundingBox } from "../gen/florence/v1/geometry_pb.js";
import type { Image } from "../gen/florence/v1/image_pb.js";
import { PixelFormatSchema } from "../gen/florence/v1/image_pb.js";
import type { GenerationOptions as GenerationOptionsMessage, Task } from "../gen/florence/v1/task_pb.js";
import { TaskSchema } from "../gen/florence/v1/task_pb.js";
import type { FieldViolation, FlorenceErrorKind } from "../models/errors.js";
import { FlorenceError } from "../models/errors.js";
import { textTooLongMessage, utf8Length } from "../models/request-validation.js";
import { describeEnumValues, enumValueName, pixelFormatNameOf, TASK_BY_NAME, taskNameOf } from "./enums.js";

const IMAGE_HELP = "set Image.encoded (JPEG, PNG, WebP, GIF, TIFF or AVIF bytes) or Image.raw (pixels)";

interface KindedViolation extends FieldViolation {
  readonly kind: FlorenceErrorKind;
}

/** Collects field violations; `toError` turns them into one FlorenceError. */
export class Violations {
  readonly #list: KindedViolation[] = [];

  add(kind: FlorenceErrorKind, field: string, description: string): void {
    this.#list.push({ kind, field, description });
  }

  get isEmpty(): boolean {
    return this.#list.length === 0;
  }

  get list(): readonly FieldViolation[] {
    return this.#list.map(({ field, description }) => ({ field, description }));
  }

  /** The error of all violations; its kind is the first violation's (they usually agree). */
  toError(): FlorenceError {
    const first = this.#list[0];
    if (first === undefined) throw new Error("Violations.toError() called with no violations");
    const lines = this.#list.map((v) => `${v.field}: ${v.description}`);
    const message = lines.length === 1 ? lines[0]! : `${lines.length} invalid fields: ${lines.join("; ")}`;
    return new FlorenceError(first.kind, message, { violations: this.list });
  }

  throwIfAny(): void {
    if (!this.isEmpty) throw this.toError();
  }
}

/** Converts one proto Image; records a violation and returns undefined when it is unusable. */
export function toImageInput(image: Image | undefined, field: string, v: Violations): ImageInput | undefined {
  const source = image?.source;
  if (source === undefined || source.case === undefined) {
    v.add("invalid_image", field, `no image given: ${IMAGE_HELP}`);
    return undefined;
  }
  if (source.case === "encoded") {
    if (source.value.length === 0) {
      v.add("invalid_image", `${field}.encoded`, `the image is empty (0 bytes): ${IMAGE_HELP}`);
      return undefined;
    }
    return { kind: "encoded", data: source.value };
  }
  const raw = source.value;
  const format = pixelFormatNameOf(raw.format);
  let ok = true;
  if (format === undefined) {
    v.add(
      "invalid_image",
      `${field}.raw.format`,
      `unknown pixel format ${raw.format}; use one of ${describeEnumValues(PixelFormatSchema)}`,
    );
    ok = false;
  }
  if (raw.width === 0 || raw.height === 0) {
    v.add("invalid_image", `${field}.raw`, `width and height must be > 0, got ${raw.width}x${raw.height}`);
    ok = false;
  }
  if (!ok || format === undefined) return undefined;
  const expected = raw.width * raw.height * RAW_PIXEL_CHANNELS[format];
  if (raw.data.length !== expected) {
    v.add(
      "invalid_image",
      `${field}.raw.data`,
      `has ${raw.data.length} bytes but ${raw.width}x${raw.height} ${format} needs ${expected} (width * height * ${RAW_PIXEL_CHANNELS[format]}, no row padding)`,
    );
    return undefined;
  }
  return { kind: "raw", data: raw.data, width: raw.width, height: raw.height, format };
}

/** Converts the `images` list of a request, checking its length. */
export function toImageInputs(
  images: readonly Image[],
  field: string,
  limits: RequestLimits,
  v: Violations,
): ImageInput[] {
  if (images.length === 0) {
    v.add("invalid_argument", field, `no images: send at least one (${IMAGE_HELP})`);
    return [];
  }
  if (images.length > limits.maxImagesPerRequest) {
    v.add(
      "invalid_argument",
      field,
      `${images.length} images, but this server accepts at most ${limits.maxImagesPerRequest} per request; split the request`,
    );
    return [];
  }
  const out: ImageInput[] = [];
  images.forEach((image, i) => {
    const input = toImageInput(image, `${field}[${i}]`, v);
    if (input !== undefined) out.push(input);
  });
  return out;
}

/** Payload bytes of an image message, for logs. */
export function imageBytes(image: Image | undefined): number {
  const source = image?.source;
  if (source?.case === "encoded") return source.value.length;
  if (source?.case === "raw") return source.value.data.length;
  return 0;
}

/** A region [x1, y1, x2, y2]; the engine checks it against the image size. */
export function toRegion(box: BoundingBox | undefined, field: string, v: Violations): Region | undefined {
  if (box === undefined) {
    v.add("invalid_region", field, "a region is required: set x1, y1, x2, y2 in pixels of the original image");
    return undefined;
  }
  const { x1, y1, x2, y2 } = box;
  if (![x1, y1, x2, y2].every(Number.isFinite)) {
    v.add("invalid_region", field, "x1, y1, x2 and y2 must be finite numbers");
    return undefined;
  }
  if (x1 < 0 || y1 < 0 || x1 >= x2 || y1 >= y2) {
    v.add(
      "invalid_region",
      field,
      `(${x1}, ${y1}, ${x2}, ${y2}) is not a box: need 0 <= x1 < x2 and 0 <= y1 < y2 (pixels, top-left to bottom-right)`,
    );
    return undefined;
  }
  return [x1, y1, x2, y2];
}

/** A required text input; blank is missing. `requiredBy` names who needs it, e.g. "TASK_OCR". */
function toText(text: string, field: string, requiredBy: string, v: Violations): string | undefined {
  if (text.trim() === "") {
    v.add("missing_text", field, `is required by ${requiredBy} and must not be blank`);
    return undefined;
  }
  return text;
}

/** A proto Task; UNSPECIFIED and unknown numbers are violations listing the valid values. */
function toTaskName(task: Task, field: string, v: Violations): TaskName | undefined {
  const name = taskNameOf(task);
  if (name === undefined) {
    const what = task === 0 ? "is not set (TASK_UNSPECIFIED)" : `has unknown value ${task}`;
    v.add("invalid_argument", field, `${what}; use one of ${describeEnumValues(TaskSchema)}`);
  }
  return name;
}

/** The fields a task input is read from, with their paths for violations. */
export interface TaskInputFields {
  readonly task: Task;
  readonly text: string;
  readonly region?: BoundingBox | undefined;
}

/**
 * A full engine TaskRequest: the task plus the text or region it needs (other inputs are ignored,
 * as the proto documents). `prefix` is the path of the message holding the fields ("" at top level).
 */
export function toTaskRequest(input: TaskInputFields, prefix: string, v: Violations): TaskRequest | undefined {
  const name = toTaskName(input.task, `${prefix}task`, v);
  if (name === undefined) return undefined;
  return toTaskRequestFor(name, input, prefix, v);
}

/** Like toTaskRequest, for a task already chosen by the RPC (e.g. CaptionImage). */
export function toTaskRequestFor(
  name: TaskName,
  input: Omit<TaskInputFields, "task">,
  prefix: string,
  v: Violations,
  textField = "text",
): TaskRequest | undefined {
  const spec = TASKS[name];
  if (spec.input === "text") {
    const text = toText(input.text, `${prefix}${textField}`, enumValueName(TaskSchema, TASK_BY_NAME[name]), v);
    return text === undefined ? undefined : { task: name, text };
  }
  if (spec.input === "region") {
    const region = toRegion(input.region, `${prefix}region`, v);
    return region === undefined ? undefined : { task: name, region };
  }
  return { task: name };
}

/** Checks decoding options against the server's limits; unset fields stay unset (engine defaults). */
export function toGenerationOptions(
  options: GenerationOptionsMessage | undefined,
  field: string,
  limits: RequestLimits,
  v: Violations,
): DecodingParams {
  if (options === undefined) return {};
  const out: { -readonly [K in keyof DecodingParams]: DecodingParams[K] } = {};
  if (options.numBeams !== undefined) {
    if (options.numBeams < 1 || options.numBeams > limits.maxNumBeams) {
      v.add("invalid_argument", `${field}.num_beams`, `must be 1 to ${limits.maxNumBeams}, got ${options.numBeams}`);
    } else out.numBeams = options.numBeams;
  }
  if (options.maxNewTokens !== undefined) {
    if (options.maxNewTokens < 1 || options.maxNewTokens > limits.maxNewTokens) {
      v.add(
        "invalid_argument",
        `${field}.max_new_tokens`,
        `must be 1 to ${limits.maxNewTokens}, got ${options.maxNewTokens}`,
      );
    } else out.maxNewTokens = options.maxNewTokens;
  }
  if (options.lengthPenalty !== undefined) {
    if (!Number.isFinite(options.lengthPenalty)) {
      v.add("invalid_argument", `${field}.length_penalty`, `must be a finite number, got ${options.lengthPenalty}`);
    } else out.lengthPenalty = options.lengthPenalty;
  }
  if (options.minNewTokens !== undefined) {
    const max = out.maxNewTokens ?? limits.maxNewTokens;
    if (options.minNewTokens > max) {
      v.add(
        "invalid_argument",
        `${field}.min_new_tokens`,
        `must be at most max_new_tokens (${max}), got ${options.minNewTokens}`,
      );
    } else out.minNewTokens = options.minNewTokens;
  }
  if (options.earlyStopping !== undefined) out.earlyStopping = options.earlyStopping;
  if (options.noRepeatNgramSize !== undefined) out.noRepeatNgramSize = options.noRepeatNgramSize;
  return out;
}

/** The limits of the loaded model that bound a request (see ModelInfo). */
export type ModelLimits = Pick<ModelInfo, "maxNewTokens" | "maxTextBytes">;

/** The smaller of the server's and the model's max_new_tokens: what a request may really ask for. */
export function effectiveMaxNewTokens(serverMax: number, model: ModelLimits): number {
  return Math.min(serverMax, model.maxNewTokens);
}

/**
 * Records what in an engine call the model cannot do: a text input longer (in UTF-8 bytes) than
 * any prompt of the model holds, measured without tokenizing it, and a max_new_tokens beyond the
 * decoder's positions. `taskField(i)` names the i-th task's path for violations.
 */
export function modelLimitViolations(
  model: ModelLimits,
  tasks: readonly TaskRequest[],
  options: DecodingParams,
  taskField: (index: number) => string,
  v: Violations,
): void {
  tasks.forEach((task, i) => {
    if (task.text === undefined) return;
    const bytes = utf8Length(task.text);
    if (bytes > model.maxTextBytes)
      v.add("invalid_argument", `${taskField(i)}text`, textTooLongMessage(bytes, model.maxTextBytes));
  });
  if (options.maxNewTokens !== undefined && options.maxNewTokens > model.maxNewTokens) {
    v.add(
      "invalid_argument",
      "options.max_new_tokens",
      `is ${options.maxNewTokens}, but this model's decoder has positions for at most ${model.maxNewTokens} tokens; ask for ${model.maxNewTokens} or fewer (ListModels reports the limit)`,
    );
  }
}

/**
 * Records a request whose images together exceed the decoded-pixel budget. `sizes` are the
 * images' sizes from their headers.
 */
export function pixelBudgetViolations(
  sizes: readonly { readonly width: number; readonly height: number }[],
  maxMegapixels: number,
  field: string,
  v: Violations,
): void {
  const pixels = sizes.reduce((sum, s) => sum + s.width * s.height, 0);
  if (pixels <= maxMegapixels * 1_000_000) return;
  const what = sizes.length === 1 ? "the image has" : `the ${sizes.length} images have`;
  v.add(
    "invalid_argument",
    field,
    `${what} ${(pixels / 1_000_000).toFixed(1)} megapixels in all, over this server's budget of ${maxMegapixels} megapixels per request; downscale the images (the model sees them at 768x768) or send fewer per request`,
  );
}
