/**
 * Checks of a call's arguments that need no model work, so bad requests fail fast with a message
 * that says what to change.
 */
import type { TaskRequest } from "./engine.js";
import { FlorenceError } from "./errors.js";
import type { GenerationOptions } from "./inputs.js";
import { findTask, TASK_NAMES, type TaskSpec } from "./tasks.js";

export interface RequestLimits {
  readonly maxNewTokensLimit: number;
  readonly maxBeams: number;
}

function integerIn(field: string, value: number | undefined, min: number, max: number, hint: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FlorenceError("invalid_argument", `${field} must be a whole number from ${min} to ${max}, got ${value}; ${hint}`, {
      violations: [{ field, description: `must be an integer in [${min}, ${max}]` }],
    });
  }
}

/** Validates the numeric generation options against the engine's limits. */
export function validateGenerationOptions(options: GenerationOptions, limits: RequestLimits): void {
  integerIn("max_new_tokens", options.maxNewTokens, 1, limits.maxNewTokensLimit, "detection and segmentation answers need a few hundred tokens, captions fewer");
  integerIn("min_new_tokens", options.minNewTokens, 0, options.maxNewTokens ?? limits.maxNewTokensLimit, "it must not exceed max_new_tokens; 0 lets the model stop when it is done");
  integerIn("num_beams", options.numBeams, 1, limits.maxBeams, "use 1 for greedy decoding or 3 for the reference beam search");
  integerIn("no_repeat_ngram_size", options.noRepeatNgramSize, 0, 16, "the reference uses 3; 0 disables it");
  if (options.lengthPenalty !== undefined && !Number.isFinite(options.lengthPenalty)) {
    throw new FlorenceError("invalid_argument", `length_penalty must be a finite number, got ${options.lengthPenalty}`, {
      violations: [{ field: "length_penalty", description: "must be finite" }],
    });
  }
}

/** Resolves the task of a request, failing with the list of valid tasks when it is unknown. */
export function taskOf(request: TaskRequest, field = "task"): TaskSpec {
  const spec = findTask(request.task);
  if (spec === undefined) {
    throw new FlorenceError("invalid_argument", `unknown task ${JSON.stringify(request.task)}; use one of ${TASK_NAMES.join(", ")} (or their tokens like "<OD>")`, {
      violations: [{ field, description: "unknown task" }],
    });
  }
  return spec;
}

/** Fails when a task gets an input it does not use, which is almost always a caller's mistake. */
export function checkUnusedInputs(spec: TaskSpec, request: TaskRequest, field = "task"): void {
  if (spec.input !== "text" && request.text !== undefined && request.text.trim() !== "") {
    throw new FlorenceError("invalid_argument", `task ${spec.name} (${spec.token}) takes no text, but text was given; remove it or pick a task that takes text`, {
      violations: [{ field: `${field}.text`, description: "not used by this task" }],
    });
  }
  if (spec.input !== "region" && request.region !== undefined) {
    throw new FlorenceError("invalid_argument", `task ${spec.name} (${spec.token}) takes no region, but a region was given; remove it or pick a region_to_* task`, {
      violations: [{ field: `${field}.region`, description: "not used by this task" }],
    });
  }
}
