/**
 * Per-image outcomes of runEach (../engine.ts): which items of a call failed alone before they
 * were queued, and their answers put back in call order around those failures.
 */
import { type FlorenceError, isFlorenceError } from "../errors.js";

/** One item of a call: ready to run, or failed alone. */
export type Outcome<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: FlorenceError };

/** The error kinds that fail one image of runEach instead of its whole call. */
const PER_IMAGE_KINDS: ReadonlySet<string> = new Set(["invalid_image", "invalid_region"]);

/** Whether `e` fails only its own image when the call asked for per-image outcomes. */
export function failsOneImage(e: unknown): e is FlorenceError {
  return isFlorenceError(e) && PER_IMAGE_KINDS.has(e.kind);
}

/**
 * Prepares each of `count` items; with `perImage`, an item whose preparation throws a per-image
 * error (failsOneImage) becomes that failure. Any other error, and any error without `perImage`,
 * is thrown: it fails the call.
 */
export function prepareEach<T>(count: number, prepare: (index: number) => T, perImage: boolean): Outcome<T>[] {
  return Array.from({ length: count }, (_, i): Outcome<T> => {
    try {
      return { ok: true, result: prepare(i) };
    } catch (e) {
      if (perImage && failsOneImage(e)) return { ok: false, error: e };
      throw e;
    }
  });
}

/**
 * Runs the ready items (in their order, all at once) and returns one outcome per item in call
 * order: each ready item's answer, each failed item's error. `run` must answer one per item given.
 */
export async function answerInOrder<T, R>(
  items: readonly Outcome<T>[],
  run: (ready: readonly T[]) => Promise<readonly R[]>,
): Promise<Outcome<R>[]> {
  const ready = items.flatMap((item) => (item.ok ? [item.result] : []));
  const answers = await run(ready);
  let next = 0;
  return items.map((item): Outcome<R> => (item.ok ? { ok: true, result: answers[next++]! } : item));
}
