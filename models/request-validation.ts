/**
 * Checks of a call's arguments that need no model work, so bad requests fail fast with a message
 * that says what to change.
 */
import type { DecodingParams } from "../core/decoding.js";
import type { TaskRequest } from "../core/inputs.js";
import type { DecodingLimits } from "../core/limits.js";
import { findTask, TASK_NAMES, type TaskSpec } from "../core/tasks.js";
import { FlorenceError } from "./errors.js";

function integerIn(field: string, value: number | undefined, min: number, max: number, hint: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FlorenceError(
      "invalid_argument",
      `${field} must be a whole number from ${min} to ${max}, got ${value}; ${hint}`,
      {
        violations: [{ field, description: `must be an integer in [${min}, ${max}]` }],
      },
    );
  }
}

/** Validates the decoding parameters against the engine's limits (core/limits.ts). */
export function validateDecodingParams(options: DecodingParams, limits: DecodingLimits): void {
  integerIn(
    "max_new_tokens",
    options.maxNewTokens,
    1,
    limits.maxNewTokens,
    "detection and segmentation answers need a few hundred tokens, captions fewer",
  );
  integerIn(
    "min_new_tokens",
    options.minNewTokens,
    0,
    options.maxNewTokens ?? limits.maxNewTokens,
    "it must not exceed max_new_tokens; 0 lets the model stop when it is done",
  );
  integerIn(
    "num_beams",
    options.numBeams,
    1,
    limits.maxNumBeams,
    "use 1 for greedy decoding or 3 for the reference beam search",
  );
  integerIn("no_repeat_ngram_size", options.noRepeatNgramSize, 0, 16, "the reference uses 3; 0 disables it");
  if (options.lengthPenalty !== undefined && !Number.isFinite(options.lengthPenalty)) {
    throw new FlorenceError(
      "invalid_argument",
      `length_penalty must be a finite number, got ${options.lengthPenalty}`,
      {
        violations: [{ field: "length_penalty", description: "must be finite" }],
      },
    );
  }
}

/** UTF-8 length of a string without copying it (Buffer.byteLength walks the string once). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Refuses a text input longer than `maxTextBytes` (ModelInfo.maxTextBytes) by its byte length,
 * before anything tokenizes it: tokenizing a text of megabytes costs seconds and gigabytes only
 * to find it too long for the prompt.
 */
export function checkTextLength(text: string | undefined, maxTextBytes: number, field = "text"): void {
  if (text === undefined) return;
  const bytes = utf8Length(text);
  if (bytes <= maxTextBytes) return;
  throw new FlorenceError("invalid_argument", textTooLongMessage(bytes, maxTextBytes), {
    violations: [{ field, description: `at most ${maxTextBytes} bytes (UTF-8)` }],
  });
}

/** The message for a text input over the model's limit; the server says the same. */
export function textTooLongMessage(bytes: number, maxTextBytes: number): string {
  return `the text input is ${bytes} bytes (UTF-8), longer than any prompt of this model can hold (at most ${maxTextBytes} bytes); shorten it, or split a class list over several requests`;
}

/** Resolves the task of a request, failing with the list of valid tasks when it is unknown. */
export function taskOf(request: TaskRequest, field = "task"): TaskSpec {
  const spec = findTask(request.task);
  if (spec === undefined) {
    throw new FlorenceError(
      "invalid_argument",
      `unknown task ${JSON.stringify(request.task)}; use one of ${TASK_NAMES.join(", ")} (or their tokens like "<OD>")`,
      {
        violations: [{ field, description: "unknown task" }],
      },
    );
  }
  return spec;
}

/** Fails when a task gets an input it does not use, which is almost always a caller's mistake. */
export function checkUnusedInputs(spec: TaskSpec, request: TaskRequest, field = "task"): void {
  if (spec.input !== "text" && request.text !== undefined && request.text.trim() !== "") {
    throw new FlorenceError(
      "invalid_argument",
      `task ${spec.name} (${spec.token}) takes no text, but text was given; remove it or pick a task that takes text`,
      {
        violations: [{ field: `${field}.text`, description: "not used by this task" }],
      },
    );
  }
  if (spec.input !== "region" && request.region !== undefined) {
    throw new FlorenceError(
      "invalid_argument",
      `task ${spec.name} (${spec.token}) takes no region, but a region was given; remove it or pick a region_to_* task`,
      {
        violations: [{ field: `${field}.region`, description: "not used by this task" }],
      },
    );
  }
}
