/**
 * Tracks application calls in progress for graceful shutdown: once draining starts, new calls are
 * refused with `unavailable`, streams see `drainSignal` and stop reading, and close() waits for
 * the count to reach zero (or the grace period to end).
 */
import { setMaxListeners } from "node:events";
import { FlorenceError } from "../models/errors.js";

export class CallTracker {
  #active = 0;
  readonly #drain = new AbortController();
  readonly #idleWaiters = new Set<() => void>();

  constructor() {
    // Every open stream listens to the drain signal (up to maxConcurrentStreams): not a leak.
    setMaxListeners(0, this.#drain.signal);
  }

  get active(): number {
    return this.#active;
  }

  get draining(): boolean {
    return this.#drain.signal.aborted;
  }

  /** Aborted when draining starts. */
  get drainSignal(): AbortSignal {
    return this.#drain.signal;
  }

  /** Registers a call; returns the function that ends it. Throws `unavailable` while draining. */
  enter(): () => void {
    if (this.draining) {
      throw new FlorenceError("unavailable", "the server is shutting down; retry on another instance");
    }
    this.#active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#active--;
      if (this.#active === 0) for (const wake of this.#idleWaiters) wake();
    };
  }

  startDrain(): void {
    this.#drain.abort();
  }

  /** Resolves true once no call is active, or false when `timeoutMs` passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve(idle);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idleWaiters.add(wake);
    });
  }
}
