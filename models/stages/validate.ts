/**
 * The first per-call stage: every check of a call's arguments that needs no model work, so a bad
 * call fails before any image is decoded, with a message that says what to change.
 */
import type { DecodingParams } from "../../core/decoding.js";
import type { DecodingLimits } from "../../core/limits.js";
import type { TaskRequest } from "../engine.js";
import { FlorenceError } from "../errors.js";
import { checkTextLength, checkUnusedInputs, validateDecodingParams } from "../request-validation.js";
import type { TaskSpec } from "../tasks.js";

/** One (task, image) pair of a call: run() pairs one task with each image, runTasks() each task with one image. */
export interface CallPair {
  readonly spec: TaskSpec;
  readonly request: TaskRequest;
  readonly imageIndex: number;
}

export interface CallLimits extends DecodingLimits {
  /** ModelInfo.maxTextBytes: the longest text input any prompt of the model can hold. */
  readonly maxTextBytes: number;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FlorenceError("cancelled", "the request was cancelled");
}

/** Fails unless the call holds at least one of `what` (images or tasks). */
export function requireSome(items: readonly unknown[], what: "images" | "tasks"): void {
  if (items.length > 0) return;
  const noun = what === "images" ? "image" : "task";
  throw new FlorenceError("invalid_argument", `no ${what} given; pass at least one ${noun}`, {
    violations: [{ field: what, description: `at least one ${noun}` }],
  });
}

/** Decoding parameters, inputs each task does not use, and text lengths, for the whole call. */
export function validateCall(
  pairs: readonly CallPair[],
  imageCount: number,
  params: DecodingParams,
  limits: CallLimits,
): void {
  validateDecodingParams(params, limits);
  const perTask = pairs.length > 1 && imageCount === 1;
  for (const [i, pair] of pairs.entries()) {
    checkUnusedInputs(pair.spec, pair.request);
    // Per image, every pair holds the same request: one check is enough.
    if (perTask || i === 0)
      checkTextLength(pair.request.text, limits.maxTextBytes, perTask ? `tasks[${i}].text` : "text");
  }
}
