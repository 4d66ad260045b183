/**
 * The first per-call stage: every check of a call's arguments that needs no model work, so a bad
 * call fails before any image is decoded, with a message that says what to change.
 */
import type { DecodingParams } from "../../core/decoding.js";
import type { DecodingLimits } from "../../core/limits.js";
import type { TaskRequest } from "../engine.js";
import { FlorenceError } from "../errors.js";
import { checkTextLength, checkUnusedInputs, taskOf, validateDecodingParams } from "../request-validation.js";
import type { TaskSpec } from "../tasks.js";

/** One (task, image) pair of a call: run() pairs one task with each image, runTasks() each task with one image. */
export interface CallPair {
  readonly spec: TaskSpec;
  readonly request: TaskRequest;
  readonly imageIndex: number;
}

/**
 * The three shapes of a call: "per_image" runs requests[0] on every image (run), "each_image" the
 * same with per-image failures (runEach), "multi_task" every request on the one image (runTasks).
 */
export type CallMode = "per_image" | "each_image" | "multi_task";

/**
 * The (task, image) pairs of a call, checked for having any: a call without images or tasks fails
 * here, with the message that says what to pass.
 */
export function callPairs(mode: CallMode, requests: readonly TaskRequest[], imageCount: number): CallPair[] {
  if (mode === "multi_task") {
    requireSome(requests.length, "tasks");
    return requests.map((request, i) => ({ spec: taskOf(request, `tasks[${i}]`), request, imageIndex: 0 }));
  }
  requireSome(imageCount, "images");
  const request = requests[0]!;
  const spec = taskOf(request);
  return Array.from({ length: imageCount }, (_, imageIndex) => ({ spec, request, imageIndex }));
}

export interface CallLimits extends DecodingLimits {
  /** ModelInfo.maxTextBytes: the longest text input any prompt of the model can hold. */
  readonly maxTextBytes: number;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FlorenceError("cancelled", "the request was cancelled");
}

/**
 * `work`, or a cancelled error as soon as `signal` aborts: a call waiting for images another
 * thread prepares must not wait for them after its caller gave up.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new FlorenceError("cancelled", "the request was cancelled"));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Fails unless the call holds at least one of `what` (images or tasks). */
export function requireSome(count: number, what: "images" | "tasks"): void {
  if (count > 0) return;
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
