/**
 * Cross-request dynamic batching. Work items from every caller queue here; a batch forms when the
 * queued rows reach `maxBatchSize` or the oldest item has waited `maxDelayMs`, and runs while the
 * next one queues. One batch runs at a time: the model passes of a thread run one after another
 * anyway, and a bigger batch is what makes a decoder step cheaper per row.
 *
 * Fairness: items wait in lanes (a video stream, a connection, or one call each) and a batch takes
 * items round-robin across lanes, oldest lane first. A lane with a deep queue therefore gets one
 * place per round like everyone else and cannot starve the others; within a lane order is kept.
 *
 * Formation: a caller can announce items it is still preparing (`expect`, e.g. while its images are
 * decoded and resized). While any are announced, a batch that is not full waits for them, at most
 * `formationMs` after its oldest item was queued; so a burst of simultaneous callers is not split
 * by its own preprocessing (the first caller ready would otherwise start a batch alone). With
 * nothing announced, only `maxDelayMs` applies, so a lone caller never waits for the window.
 *
 * The scheduler knows nothing of Florence-2: it batches opaque payloads for a `runBatch` function.
 */
import { FlorenceError } from "../errors.js";

export interface SchedulerOptions {
  /**
   * Most decoder rows in one batch (a beam-search item counts its beams). An item larger than this
   * runs alone. 1 switches batching off.
   */
  readonly maxBatchSize: number;
  /** How long the first queued item may wait for others to join before its batch starts, in ms. */
  readonly maxDelayMs: number;
  /**
   * How long the first queued item may wait, in ms, while items announced with `expect` are still
   * being prepared (only then; never less than maxDelayMs). Default {@link DEFAULT_FORMATION_MS}.
   * 0 keeps only maxDelayMs: a burst then splits wherever its preprocessing makes it.
   */
  readonly formationMs?: number;
}

/**
 * Default formation window: 2 s. Decoding and resizing a 640x480 JPEG takes 50-100 ms on the
 * worker, so 16 simultaneous callers are ready after about 1-1.6 s on two cores (BENCHMARKS.md,
 * "Batch formation"); waiting that long is cheap next to a florence-2-base vision pass (2.5 s a
 * image on CPU), and the window only holds a batch while announced items are really in preparation.
 */
export const DEFAULT_FORMATION_MS = 2000;

/** What runBatch answers for one item: its value, or the error that failed only this item. */
export type ItemOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export type RunBatch<T, R> = (payloads: readonly T[]) => Promise<readonly ItemOutcome<R>[]>;

export interface SubmitOptions {
  /** Fairness lane; items without one get a lane of their own. */
  readonly lane?: string | undefined;
  /** Rows the item occupies in a batch (its beam count). Default 1. */
  readonly rows?: number;
  /** Aborting removes a still-queued item at once; a running batch sees it through the payload. */
  readonly signal?: AbortSignal | undefined;
}

export interface SchedulerStats {
  readonly batches: number;
  readonly items: number;
  /** Rows of the largest batch run so far. */
  readonly largestBatch: number;
  readonly queued: number;
}

interface Job<T, R> {
  readonly payload: T;
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
  readonly detach: () => void;
}

export class BatchScheduler<T, R> {
  /** Lanes in insertion order; a lane is deleted when it empties. */
  private readonly lanes = new Map<string, Job<T, R>[]>();
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closedWith: FlorenceError | undefined;
  private anonymousLanes = 0;
  /** Rows announced by `expect` that have not been submitted or withdrawn yet. */
  private preparingRows = 0;
  private stats = { batches: 0, items: 0, largestBatch: 0 };
  private readonly batchSizes: Record<number, number> = {};

  constructor(
    private readonly runBatch: RunBatch<T, R>,
    private readonly options: SchedulerOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) {
      throw new FlorenceError(
        "invalid_argument",
        `maxBatchSize must be a whole number >= 1, got ${options.maxBatchSize}`,
      );
    }
    if (!Number.isFinite(options.maxDelayMs) || options.maxDelayMs < 0) {
      throw new FlorenceError("invalid_argument", `maxDelayMs must be a number >= 0, got ${options.maxDelayMs}`);
    }
    const formationMs = options.formationMs ?? DEFAULT_FORMATION_MS;
    if (!Number.isFinite(formationMs) || formationMs < 0) {
      throw new FlorenceError("invalid_argument", `formationMs must be a number >= 0, got ${formationMs}`);
    }
  }

  /**
   * Announces `rows` rows that will be submitted soon (a call whose images are being prepared).
   * Returns the function that withdraws the announcement: call it once the items are submitted,
   * or when the call fails before submitting; later calls do nothing.
   */
  expect(rows: number): () => void {
    const announced = Math.max(0, rows);
    this.preparingRows += announced;
    let withdrawn = false;
    return () => {
      if (withdrawn) return;
      withdrawn = true;
      this.preparingRows -= announced;
      this.schedule();
    };
  }

  submit(payload: T, options: SubmitOptions = {}): Promise<R> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new FlorenceError("cancelled", "the request was cancelled"));
    const lane = options.lane ?? `\u0000call-${this.anonymousLanes++}`;
    return new Promise<R>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.remove(lane, job))
          reject(new FlorenceError("cancelled", "the request was cancelled while it waited for a batch"));
      };
      const job: Job<T, R> = {
        payload,
        rows: Math.max(1, options.rows ?? 1),
        enqueuedAt: this.now(),
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const queue = this.lanes.get(lane);
      if (queue === undefined) this.lanes.set(lane, [job]);
      else queue.push(job);
      this.schedule();
    });
  }

  getStats(): SchedulerStats {
    return { ...this.stats, queued: this.queuedJobs() };
  }

  /** Rows announced with `expect` that are not yet submitted or withdrawn. */
  getPreparingRows(): number {
    return this.preparingRows;
  }

  /** Batches run so far by their decoder rows ({ 1: 40, 3: 2 }: forty of one row, two of three). */
  getBatchSizes(): Readonly<Record<number, number>> {
    return { ...this.batchSizes };
  }

  /** Rejects everything queued with `error`; later submits reject too. A running batch finishes. */
  close(error: FlorenceError): void {
    this.closedWith = error;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const queue of this.lanes.values()) {
      for (const job of queue) {
        job.detach();
        job.reject(error);
      }
    }
    this.lanes.clear();
  }

  private queuedJobs(): number {
    let n = 0;
    for (const queue of this.lanes.values()) n += queue.length;
    return n;
  }

  private remove(lane: string, job: Job<T, R>): boolean {
    const queue = this.lanes.get(lane);
    const at = queue?.indexOf(job) ?? -1;
    if (queue === undefined || at < 0) return false;
    queue.splice(at, 1);
    if (queue.length === 0) this.lanes.delete(lane);
    job.detach();
    return true;
  }

  /**
   * Starts a batch now, or arms the timer for when the oldest item has waited long enough: for
   * maxDelayMs, or for the formation window while announced items are still being prepared.
   */
  private schedule(): void {
    if (this.running || this.lanes.size === 0) return;
    let rows = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const queue of this.lanes.values()) {
      for (const job of queue) rows += job.rows;
      oldest = Math.min(oldest, queue[0]?.enqueuedAt ?? oldest);
    }
    const { maxDelayMs, formationMs = DEFAULT_FORMATION_MS } = this.options;
    const window = this.preparingRows > 0 ? Math.max(maxDelayMs, formationMs) : maxDelayMs;
    const wait = oldest + window - this.now();
    if (rows >= this.options.maxBatchSize || wait <= 0) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      void this.runNext();
    } else {
      // Re-armed each time: the window shrinks back to maxDelayMs when the announced items arrive.
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  /** Takes items round-robin across lanes (oldest lane first) up to maxBatchSize rows. */
  private take(): Job<T, R>[] {
    const order = [...this.lanes.entries()].sort((a, b) => a[1][0]!.enqueuedAt - b[1][0]!.enqueuedAt);
    const batch: Job<T, R>[] = [];
    let rows = 0;
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const [lane, queue] of order) {
        const job = queue[0];
        if (job === undefined) continue;
        if (batch.length > 0 && rows + job.rows > this.options.maxBatchSize) continue;
        queue.shift();
        if (queue.length === 0) this.lanes.delete(lane);
        job.detach();
        batch.push(job);
        rows += job.rows;
        progressed = true;
      }
    }
    return batch;
  }

  private async runNext(): Promise<void> {
    const batch = this.take();
    if (batch.length === 0) return;
    this.running = true;
    this.stats.batches++;
    this.stats.items += batch.length;
    const rows = batch.reduce((sum, j) => sum + j.rows, 0);
    this.stats.largestBatch = Math.max(this.stats.largestBatch, rows);
    this.batchSizes[rows] = (this.batchSizes[rows] ?? 0) + 1;
    try {
      const outcomes = await this.runBatch(batch.map((j) => j.payload));
      batch.forEach((job, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined)
          job.reject(new FlorenceError("internal", "internal error: the batch returned no outcome for an item"));
        else if (outcome.ok) job.resolve(outcome.value);
        else job.reject(outcome.error);
      });
    } catch (e) {
      for (const job of batch) job.reject(e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
