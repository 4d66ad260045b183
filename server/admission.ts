/**
 * Admission control in front of the engine: at most `maxConcurrent` engine calls run at once, at
 * most `maxQueued` wait (FIFO), and anything beyond fails fast with `queue_full`, so overload
 * becomes RESOURCE_EXHAUSTED instead of unbounded memory and latency.
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

export class AdmissionQueue {
  readonly #limits: AdmissionLimits;
  readonly #waiting: Waiter[] = [];
  #running = 0;

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Waits for a slot. Rejects with `queue_full` when the queue is full, and with the signal's
   * abort (as a FlorenceError) when `signal` aborts while waiting.
   */
  async acquire(signal?: AbortSignal): Promise<AdmissionTicket> {
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
    return {
      queueMs,
      release: () => {
        if (released) return;
        released = true;
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
