/**
 * The ordering and backpressure core of StreamFrames, independent of gRPC: jobs are admitted in
 * arrival order, each gets exactly one answer, and answers come out in admission order.
 *
 * - "queue": every job runs. `hasRoom()` is false while `maxInFlight` answers are outstanding
 *   (running or not yet taken by the writer), so the reader stops pulling from the client and
 *   HTTP/2 flow control pushes back on the sender.
 * - "latest": at most `maxInFlight` jobs run; one more may wait. A newer job replaces the waiting
 *   one, which is answered at once with `skip(old, newer)` (delivered in order, after the answers
 *   before it). The reader keeps reading; it pauses only when `maxUnanswered` answers pile up
 *   because the client is not reading them.
 */
import type { BackpressureModeName } from "./enums.js";

export interface FramePipelineOptions<Job, Answer> {
  readonly mode: BackpressureModeName;
  /** Jobs running at once (and, in "queue" mode, outstanding answers). */
  readonly maxInFlight: number;
  /** "latest" mode: outstanding answers before the reader pauses. */
  readonly maxUnanswered: number;
  /** Runs a job; when the signal aborts, pending work should stop. */
  readonly run: (job: Job, signal: AbortSignal) => Promise<Answer>;
  /**
   * The answer of a waiting job replaced by a newer one. It may be a promise (e.g. a check of the
   * skipped job's input that turns "skipped" into an error); its place in the order is kept.
   */
  readonly skip: (job: Job, newer: Job) => Answer | Promise<Answer>;
  /** The answer of a job whose run rejected. */
  readonly fail: (job: Job, error: unknown) => Answer;
  /** Aborting stops everything: running jobs see it, and `answers()` ends. */
  readonly signal: AbortSignal;
}

interface Slot<Answer> {
  answer?: Answer;
  ready: boolean;
}

export class FramePipeline<Job, Answer> {
  readonly #o: FramePipelineOptions<Job, Answer>;
  readonly #slots: Slot<Answer>[] = [];
  #running = 0;
  #waiting: { readonly slot: Slot<Answer>; readonly job: Job } | undefined;
  #finished = false;
  #wakeWriter: (() => void) | undefined;
  #wakeReader: (() => void) | undefined;

  constructor(options: FramePipelineOptions<Job, Answer>) {
    this.#o = options;
    options.signal.addEventListener("abort", () => this.#wake(), { once: true });
  }

  /** Jobs currently running (tests). */
  get running(): number {
    return this.#running;
  }

  /** Admitted jobs whose answers have not been taken by the writer yet (running, waiting or ready). */
  get outstanding(): number {
    return this.#slots.length;
  }

  /** Whether the reader may read the next message now. */
  hasRoom(): boolean {
    const limit = this.#o.mode === "queue" ? this.#o.maxInFlight : this.#o.maxUnanswered;
    return this.#slots.length < limit;
  }

  /** Resolves when there is room, or when the pipeline's signal (or `signal`) aborts. */
  async waitForRoom(signal?: AbortSignal): Promise<void> {
    while (!this.hasRoom() && !this.#o.signal.aborted && !signal?.aborted) {
      let onAbort: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        this.#wakeReader = resolve;
        onAbort = resolve;
        signal?.addEventListener("abort", onAbort, { once: true });
      });
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Admits a job that should run. */
  push(job: Job): void {
    const slot = this.#newSlot();
    if (this.#o.mode === "queue" || this.#running < this.#o.maxInFlight) {
      this.#start(slot, job);
      return;
    }
    const older = this.#waiting;
    this.#waiting = { slot, job };
    if (older === undefined) return;
    const skipped = this.#o.skip(older.job, job);
    if (skipped instanceof Promise) {
      skipped.then(
        (answer) => this.#resolve(older.slot, answer),
        (e: unknown) => this.#resolve(older.slot, this.#o.fail(older.job, e)),
      );
    } else {
      this.#resolve(older.slot, skipped);
    }
  }

  /** Admits an answer that needs no work (e.g. a frame that failed validation), in order. */
  pushAnswer(answer: Answer): void {
    this.#resolve(this.#newSlot(), answer);
  }

  /**
   * Admits a job answered without running it, whose answer is not known yet (e.g. an unchanged
   * frame waiting for the result it reuses): its place in the order is kept; a rejection becomes
   * `fail(job, error)`. It counts as outstanding, not as running.
   */
  pushLater(job: Job, answer: Promise<Answer>): void {
    const slot = this.#newSlot();
    answer.then(
      (a) => this.#resolve(slot, a),
      (e: unknown) => this.#resolve(slot, this.#o.fail(job, e)),
    );
  }

  /** No more jobs will come; `answers()` ends after the last outstanding answer. */
  finish(): void {
    this.#finished = true;
    this.#wake();
  }

  /** Every answer, in admission order. Ends after finish() and the last answer, or on abort. */
  async *answers(): AsyncGenerator<Answer, void, undefined> {
    for (;;) {
      if (this.#o.signal.aborted) return;
      const head = this.#slots[0];
      if (head?.ready) {
        this.#slots.shift();
        this.#wakeReader?.();
        yield head.answer as Answer;
        continue;
      }
      if (head === undefined && this.#finished) return;
      await new Promise<void>((resolve) => {
        this.#wakeWriter = resolve;
      });
    }
  }

  #newSlot(): Slot<Answer> {
    const slot: Slot<Answer> = { ready: false };
    this.#slots.push(slot);
    return slot;
  }

  #resolve(slot: Slot<Answer>, answer: Answer): void {
    slot.answer = answer;
    slot.ready = true;
    if (slot === this.#slots[0]) this.#wakeWriter?.();
  }

  #start(slot: Slot<Answer>, job: Job): void {
    this.#running++;
    this.#o
      .run(job, this.#o.signal)
      .catch((e: unknown) => this.#o.fail(job, e))
      .then((answer) => {
        this.#running--;
        this.#resolve(slot, answer);
        const next = this.#waiting;
        if (next !== undefined && !this.#o.signal.aborted) {
          this.#waiting = undefined;
          this.#start(next.slot, next.job);
        }
      });
  }

  #wake(): void {
    this.#wakeWriter?.();
    this.#wakeReader?.();
  }
}
