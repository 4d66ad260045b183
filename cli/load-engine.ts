/**
 * Loading the model for `serve`: once, failing with the load error's own message (exit status 1),
 * or with --retry-load until it loads, backing off between attempts, while the server answers
 * NOT_SERVING. Failures that no retry can fix (a model spec that names nothing) fail at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FlorenceError, isFlorenceError, toFlorenceError } from "../models/index.js";

export interface LoadRetryOptions {
  /** Keep trying after a failure. Default false: the first failure is final. */
  readonly retry: boolean;
  /** Wait after the first failure; doubles after each further one. Default 1000. */
  readonly firstDelayMs: number;
  /** Longest wait between attempts. Default 60000. */
  readonly maxDelayMs: number;
  /** Stops retrying (the server is closing): the load fails with `cancelled`. Default none. */
  readonly signal: AbortSignal | undefined;
  /** Told of each failure that will be retried, and after how long. Default none. */
  readonly onRetry: ((error: FlorenceError, attempt: number, delayMs: number) => void) | undefined;
}

export const loadRetryDefaults: Readonly<LoadRetryOptions> = {
  retry: false,
  firstDelayMs: 1000,
  maxDelayMs: 60_000,
  signal: undefined,
  onRetry: undefined,
};

/** Kinds a later attempt cannot fix. */
const FINAL_KINDS = new Set(["invalid_argument", "cancelled"]);

/** The wait before attempt `attempt + 1` (attempts count from 1). */
export function retryDelayMs(attempt: number, options: Pick<LoadRetryOptions, "firstDelayMs" | "maxDelayMs">): number {
  return Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** (attempt - 1));
}

/** Runs `load` until it succeeds or fails for good; every failure leaves as a FlorenceError. */
export async function loadWithRetry<T>(load: () => Promise<T>, init: Partial<LoadRetryOptions> = {}): Promise<T> {
  const options = { ...loadRetryDefaults, ...init };
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (e) {
      const error = toFlorenceError(e);
      if (!options.retry || FINAL_KINDS.has(error.kind) || options.signal?.aborted === true) throw error;
      const delay = retryDelayMs(attempt, options);
      options.onRetry?.(error, attempt, delay);
      try {
        await sleep(delay, undefined, options.signal === undefined ? {} : { signal: options.signal });
      } catch {
        throw new FlorenceError(
          "cancelled",
          `stopped retrying to load the model after ${attempt} attempt(s): ${error.message}`,
        );
      }
    }
  }
}

/**
 * The error to hand the server for a failed load: the same kind and message, with a stack that is
 * only that text, because the server logs a load failure's stack and the caller-facing message is
 * the useful part (the network library's stack names neither the host nor what to do).
 */
export function withoutStack(e: unknown): FlorenceError {
  const error = isFlorenceError(e) ? e : toFlorenceError(e);
  const plain = new FlorenceError(error.kind, error.message, { violations: error.violations });
  Object.defineProperty(plain, "stack", { value: `${error.kind}: ${error.message}` });
  return plain;
}
