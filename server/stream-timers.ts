/**
 * The time limits of a stream (server options streamConfigTimeoutMs and streamIdleTimeoutMs): no
 * stream holds one of the server's stream slots doing nothing.
 */
import { FlorenceError } from "../models/errors.js";

/**
 * Calls `onIdle` once the stream has had nothing in flight (`busy()` false) and seen no activity
 * (`touch()`) for `ms`. While busy, the clock does not run: a stream waiting for a slow model
 * is not idle.
 */
export class IdleTimer {
  readonly #ms: number;
  readonly #busy: () => boolean;
  readonly #onIdle: () => void;
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, busy: () => boolean, onIdle: () => void) {
    this.#ms = ms;
    this.#busy = busy;
    this.#onIdle = onIdle;
    this.#arm(ms);
  }

  touch(): void {
    this.#last = performance.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => this.#check(), delay);
  }

  #check(): void {
    const now = performance.now();
    if (this.#busy()) this.#last = now;
    const idle = now - this.#last;
    if (idle >= this.#ms) {
      this.#timer = undefined;
      this.#onIdle();
    } else {
      this.#arm(this.#ms - idle);
    }
  }
}

/**
 * The status of a stream that ran past one of the server's stream time limits. DEADLINE_EXCEEDED,
 * not INVALID_ARGUMENT: nothing the client sent was wrong, the stream ran out of the time the
 * server gives it; the message says which limit and what to do.
 */
function streamTimeLimit(message: string): FlorenceError {
  return new FlorenceError("deadline_exceeded", message);
}

/**
 * Aborts `timeLimit` unless the stream's first message (its StreamConfig) arrives within `ms`;
 * clear the returned timer once it did.
 */
export function startConfigTimer(ms: number, timeLimit: AbortController): NodeJS.Timeout {
  return setTimeout(
    () =>
      timeLimit.abort(
        streamTimeLimit(
          `no StreamConfig within ${ms} ms of opening the stream: send StreamFramesRequest.config as the first message, right away; the stream was closed to free its slot`,
        ),
      ),
    ms,
  );
}

/** Calls an idle stream's time out by aborting `timeLimit` with a status that says so. */
export function startIdleTimer(ms: number, busy: () => boolean, timeLimit: AbortController): IdleTimer {
  return new IdleTimer(ms, busy, () =>
    timeLimit.abort(
      streamTimeLimit(
        `no frame for ${ms} ms with every frame answered: the stream was idle and was closed to free its slot; open a new stream when there are frames to send`,
      ),
    ),
  );
}
