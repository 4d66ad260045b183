/**
 * What `florence2 call` prints: the results as JSON on stdout (one object for one image, else a
 * list in --image order), a failed image shown as `{ "image", "task", "error" }` instead of its empty
 * result, one stderr line per failed image, and the exit status: 1 when any image failed. With
 * --partials, one compact JSON line per partial text comes first.
 */
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Code, PartialTextEvent } from "../client/index.js";
import type { ImageFailure, TaskResult } from "../core/results.js";

/** The exit status of a call in which some images failed (the others are printed as usual). */
export const SOME_IMAGES_FAILED = 1;

/** What `call` writes and how it exits. */
export interface CallOutput {
  /** The JSON for stdout, without its final newline. */
  readonly json: string;
  /** One line per failed image, for stderr (without newlines). */
  readonly failures: readonly string[];
  /** 0, or SOME_IMAGES_FAILED. */
  readonly status: number;
}

/** A failed image's error as printed: its gRPC status name next to the number. */
function shownError(error: ImageFailure) {
  return {
    status: codeName(error.code),
    code: error.code,
    reason: error.reason,
    message: error.message,
    ...(error.violations.length === 0 ? {} : { violations: error.violations }),
  };
}

/** "INVALID_ARGUMENT" for 3; the number as text for one connect does not know. */
function codeName(code: number): string {
  const name = codeToString(code as Code);
  return name === "" || /^\d/.test(name) ? String(code) : name.toUpperCase();
}

/**
 * One line of `call --partials` (without its newline): the image's answer text so far and the tokens
 * generated for it, as compact JSON so that each partial is one line.
 */
export function partialLine(event: Pick<PartialTextEvent, "text" | "generatedTokens">): string {
  return JSON.stringify({ partial: event.text, tokens: event.generatedTokens });
}

/** The output of a call on `images` (file names, in --image order) that answered `results`. */
export function callOutput(images: readonly string[], results: readonly TaskResult[]): CallOutput {
  const shown = results.map((result, i) =>
    result.error === undefined
      ? result
      : { image: images[i] ?? `image ${i + 1}`, task: result.task, error: shownError(result.error) },
  );
  const failures = results.flatMap((result, i) =>
    result.error === undefined
      ? []
      : [
          `${images[i] ?? `image ${i + 1}`}: ${codeName(result.error.code)} (${result.error.reason}): ${result.error.message}`,
        ],
  );
  return {
    json: JSON.stringify(shown.length === 1 ? shown[0] : shown, null, 2),
    failures,
    status: failures.length > 0 ? SOME_IMAGES_FAILED : 0,
  };
}
