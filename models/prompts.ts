/**
 * Task + input -> the prompt text the tokenizer encodes (docs/florence2-contract.md#3-prompts;
 * regions: docs/florence2-contract.md#33-region-input).
 */
import { FlorenceError } from "./errors.js";
import type { Region } from "./inputs.js";
import { pyStrip } from "./postprocess/python-text.js";
import type { ImageSize } from "./results.js";
import type { TaskName, TaskSpec } from "./tasks.js";

/** What a task may take besides the image; which one it needs is `TaskSpec.input`. */
export interface PromptInput {
  /** Phrase grounding's caption, segmentation's expression, open-vocabulary detection's phrase. */
  readonly text?: string | undefined;
  /** The region_to_* tasks' box [x1, y1, x2, y2] in original-image pixels. */
  readonly region?: Region | undefined;
}

/** Location bins per axis (`<loc_0>` .. `<loc_999>`). */
const BINS = 1000;

/**
 * Pixel coordinate -> location bin on an axis of `size` pixels: clamp(floor(v * 1000 / size), 0, 999)
 * (the reference's floor quantizer; the inverse of the bin-centre de-quantization).
 */
export function quantizeCoordinate(v: number, size: number): number {
  return Math.min(BINS - 1, Math.max(0, Math.floor((v * BINS) / size)));
}

/** `<loc_x1><loc_y1><loc_x2><loc_y2>` of a region; x's use the width, y's the height. Does not validate. */
export function encodeRegion(region: Region, imageSize: ImageSize): string {
  const [x1, y1, x2, y2] = region;
  const bins = [
    quantizeCoordinate(x1, imageSize.width),
    quantizeCoordinate(y1, imageSize.height),
    quantizeCoordinate(x2, imageSize.width),
    quantizeCoordinate(y2, imageSize.height),
  ];
  return bins.map((k) => `<loc_${k}>`).join("");
}

/**
 * Checks that a region is four finite numbers forming a non-empty box inside the image:
 * 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height. Throws FlorenceError "invalid_region" (with a
 * violation on field "region") otherwise.
 */
export function validateRegion(region: Region, imageSize: ImageSize): void {
  const problem = regionProblem(region, imageSize);
  if (problem === undefined) return;
  const shown = region.length === 4 ? `[${region.join(", ")}]` : `of ${region.length} numbers`;
  const description = `region ${shown} on the ${imageSize.width}x${imageSize.height} image: ${problem}`;
  throw new FlorenceError(
    "invalid_region",
    `${description}; pass [x1, y1, x2, y2] in pixels of the original image with 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height`,
    { violations: [{ field: "region", description }] },
  );
}

function regionProblem(region: Region, { width, height }: ImageSize): string | undefined {
  if (region.length !== 4) return "a region has exactly four numbers";
  const [x1, y1, x2, y2] = region;
  if (!region.every(Number.isFinite)) return "every coordinate must be a finite number";
  if (x1 < 0 || y1 < 0) return "x1 and y1 must be >= 0";
  if (x2 > width) return `x2 must be <= the image width ${width}`;
  if (y2 > height) return `y2 must be <= the image height ${height}`;
  if (x1 >= x2) return "x1 must be < x2 (the box needs a positive width)";
  if (y1 >= y2) return "y1 must be < y2 (the box needs a positive height)";
  return undefined;
}

/**
 * The prompt for a task. No-input tasks give their fixed prompt; text tasks substitute the text,
 * trimmed (the native processor's behaviour; the original keeps surrounding spaces, which only
 * add a stray space token); region tasks substitute the region's location tokens. Inputs a task
 * does not take are ignored.
 *
 * @throws FlorenceError "missing_text" when a text task gets no text or only whitespace.
 * @throws FlorenceError "invalid_region" when a region task gets no region or a bad one (validateRegion).
 */
export function buildPrompt(task: TaskSpec, input: PromptInput, imageSize: ImageSize): string {
  switch (task.input) {
    case "none":
      return task.prompt;
    case "text": {
      const text = pyStrip(input.text ?? "");
      if (text === "") {
        const description = `${task.name} (${task.token}) needs a text input: ${TEXT_INPUT_HINT[task.name] ?? "the text to look for"}`;
        throw new FlorenceError(
          "missing_text",
          `${description}; got ${input.text === undefined ? "none" : "only whitespace"}`,
          {
            violations: [{ field: "text", description }],
          },
        );
      }
      return fill(task.prompt, text);
    }
    case "region": {
      if (input.region === undefined) {
        const description = `${task.name} (${task.token}) needs a region [x1, y1, x2, y2] in pixels of the original image`;
        throw new FlorenceError("invalid_region", description, { violations: [{ field: "region", description }] });
      }
      validateRegion(input.region, imageSize);
      return fill(task.prompt, encodeRegion(input.region, imageSize));
    }
  }
}

/** What each text task expects, for missing_text messages. */
const TEXT_INPUT_HINT: Partial<Record<TaskName, string>> = {
  phrase_grounding: 'the caption whose phrases to locate, e.g. "A green car parked in front of a yellow building."',
  referring_expression_segmentation: 'the expression naming what to segment, e.g. "a dog"',
  open_vocabulary_detection: 'the name of the objects to find, e.g. "wheels"',
};

/** The template with `{input}` replaced (a function replacer, so "$&" in user text stays literal). */
function fill(template: string, input: string): string {
  return template.replace("{input}", () => input);
}
