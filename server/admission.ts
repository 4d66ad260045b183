/**
 * Admission control in front of the engine: at most `maxConcurrent` engine calls run at once, at
 * most `maxQueued` wait (FIFO), and anything beyond fails fast with `queue_full`, so overload
 * becomes RESOURCE_EXHAUSTED instead of unbounded memory and latency. A caller whose deadline is
 * shorter than the queue's estimated wait is refused the same way at once, instead of waiting
 * only to time out (its slot in the queue would have delayed everyone behind it for nothing).
 */
import { FlorenceError } from "../models/errors.js";

export interface AdmissionLimits {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
}

/** A granted slot. `release` is idempotent. */
export interface AdmissionTicket {
  /** Time spent waiting for the slot, in ms. */
  readonly queueMs: number;
  release(): void;
}

interface Waiter {
  readonly grant: () => void;
}

/** What the wait estimate reads from the queue. */
export interface QueueState {
  readonly running: number;
  readonly waiting: number;
  readonly maxConcurrent: number;
  /** Moving average of recent engine call durations in ms; undefined before the first call ends. */
  readonly meanCallMs: number | undefined;
}

/**
 * Estimated wait in ms of a call that arrives now. 0 while a slot is free or before any call has
 * been timed (no evidence: admit). Otherwise the call gets a slot after `waiting + 1` slots free
 * up, and with every slot busy slots free up at about `maxConcurrent / meanCallMs` per ms
 * (Little's law), so the wait is `(waiting + 1) * meanCallMs / maxConcurrent`.
 */
export function estimatedWaitMs(state: QueueState): number {
  if (state.running < state.maxConcurrent || state.meanCallMs === undefined) return 0;
  return ((state.waiting + 1) * state.meanCallMs) / state.maxConcurrent;
}

/**
 * Weight of the newest call duration in the moving average: the estimate follows a change of
 * load within about ten calls and one odd call moves it by a fifth.
 */
const MEAN_WEIGHT = 0.2;

/** The exponentially weighted moving average after one more sample; the first sample starts it. */
export function nextMean(mean: number | undefined, sampleMs: number): number {
  return mean === undefined ? sampleMs : mean + MEAN_WEIGHT * (sampleMs - mean);
}

export class AdmissionQueue {
  readonly #limits: AdmissionLimits;
  readonly #waiting: Waiter[] = [];
  #running = 0;
  #meanCallMs: number | undefined;

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** The queue as the wait estimate sees it. */
  get state(): QueueState {
    return {
      running: this.#running,
      waiting: this.#waiting.length,
      maxConcurrent: this.#limits.maxConcurrent,
      meanCallMs: this.#meanCallMs,
    };
  }

  /**
   * Waits for a slot. Rejects with `queue_full` when the queue is full or when the estimated wait
   * exceeds `timeoutMs` (the time left before the caller's deadline), and with the signal's abort
   * (as a FlorenceError) when `signal` aborts while waiting (a deadline that passes aborts it).
   */
  async acquire(signal?: AbortSignal, timeoutMs?: number): Promise<AdmissionTicket> {
    if (signal?.aborted) throw cancelledWhileQueued(signal);
    const start = performance.now();
    if (this.#running < this.#limits.maxConcurrent) {
      this.#running++;
      return this.#ticket(0);
    }
    if (this.#waiting.length >= this.#limits.maxQueued) {
      throw new FlorenceError(
        "queue_full",
        `server is busy: ${this.#running} requests running and ${this.#waiting.length} queued (the limit); retry with backoff`,
      );
    }
    const estimate = estimatedWaitMs(this.state);
    if (timeoutMs !== undefined && estimate > timeoutMs) {
      throw new FlorenceError(
        "queue_full",
        `server is busy: the estimated wait for an engine slot is ${Math.round(estimate)} ms, longer than the ${Math.round(timeoutMs)} ms left before the request's deadline; retry with backoff or a longer deadline`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(cancelledWhileQueued(signal));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#waiting.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    // The releasing ticket handed its slot over, so #running already counts this one.
    return this.#ticket(performance.now() - start);
  }

  #ticket(queueMs: number): AdmissionTicket {
    let released = false;
    const grantedAt = performance.now();
    return {
      queueMs,
      release: () => {
        if (released) return;
        released = true;
        this.#meanCallMs = nextMean(this.#meanCallMs, performance.now() - grantedAt);
        const next = this.#waiting.shift();
        if (next === undefined) this.#running--;
        else next.grant();
      },
    };
  }
}

/** The caller's signal aborted before a slot was free (the call's handler maps deadlines). */
function cancelledWhileQueued(signal: AbortSignal | undefined): FlorenceError {
  return new FlorenceError("cancelled", "the request was cancelled while waiting for a free engine slot", {
    cause: signal?.reason,
  });
}

/** A plain counting limit (open streams): `tryAcquire` returns the release function, or undefined when full. */
export class SlotLimit {
  readonly #max: number;
  #used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  tryAcquire(): (() => void) | undefined {
    if (this.#used >= this.#max) return undefined;
    this.#used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used--;
    };
  }
}
