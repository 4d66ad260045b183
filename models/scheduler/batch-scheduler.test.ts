import { describe, expect, it } from "vitest";
import { FlorenceError } from "../errors.js";
import { BatchScheduler, type ItemOutcome, type SchedulerOptions } from "./batch-scheduler.js";

interface Payload {
  readonly name: string;
  readonly fail?: boolean;
}

/** A scheduler over a fake model that records each batch and answers after `delayMs`. */
function harness(options: SchedulerOptions, delayMs = 5) {
  const batches: string[][] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const scheduler = new BatchScheduler<Payload, string>(async (payloads) => {
    batches.push(payloads.map((p) => p.name));
    if (gate !== undefined) await gate;
    await new Promise((r) => setTimeout(r, delayMs));
    return payloads.map(
      (p): ItemOutcome<string> =>
        p.fail ? { ok: false, error: new Error(`${p.name} failed`) } : { ok: true, value: `${p.name}!` },
    );
  }, options);
  return {
    scheduler,
    batches,
    /** Holds the next batch running until the returned function is called. */
    hold(): () => void {
      gate = new Promise((r) => {
        release = r;
      });
      return () => {
        gate = undefined;
        release?.();
      };
    },
  };
}

const submit = (s: BatchScheduler<Payload, string>, name: string, lane?: string, rows?: number) =>
  s.submit({ name }, { ...(lane !== undefined ? { lane } : {}), ...(rows !== undefined ? { rows } : {}) });

describe("BatchScheduler", () => {
  it("runs a full batch at once and the rest when the running batch ends", async () => {
    const h = harness({ maxBatchSize: 2, maxDelayMs: 10_000 });
    const answers = await Promise.all(["a", "b", "c", "d"].map((n) => submit(h.scheduler, n)));
    expect(answers).toEqual(["a!", "b!", "c!", "d!"]);
    expect(h.batches).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("starts a partial batch once the oldest item waited maxDelayMs", async () => {
    const h = harness({ maxBatchSize: 8, maxDelayMs: 20 });
    const started = performance.now();
    await expect(submit(h.scheduler, "alone")).resolves.toBe("alone!");
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(h.batches).toEqual([["alone"]]);
  });

  it("joins items that arrive within maxDelayMs into one batch", async () => {
    const h = harness({ maxBatchSize: 8, maxDelayMs: 30 });
    const first = submit(h.scheduler, "early");
    await new Promise((r) => setTimeout(r, 5));
    const second = submit(h.scheduler, "late");
    await Promise.all([first, second]);
    expect(h.batches).toEqual([["early", "late"]]);
  });

  it("counts beams as rows and runs an item larger than the batch alone", async () => {
    const h = harness({ maxBatchSize: 4, maxDelayMs: 0 });
    const release = h.hold();
    const blocker = submit(h.scheduler, "blocker");
    const rest = [
      submit(h.scheduler, "beam3", undefined, 3),
      submit(h.scheduler, "beam3b", undefined, 3),
      submit(h.scheduler, "huge", undefined, 9),
      submit(h.scheduler, "g1", undefined, 1),
    ];
    release();
    await Promise.all([blocker, ...rest]);
    // beam3 (3 rows) + beam3b would be 6 > 4; g1 (1 row) fits beside beam3.
    expect(h.batches).toEqual([["blocker"], ["beam3", "g1"], ["beam3b"], ["huge"]]);
  });

  it("is fair: a lane with a deep queue gets one place per round, a newcomer goes into the next batch", async () => {
    const h = harness({ maxBatchSize: 2, maxDelayMs: 0 });
    const release = h.hold();
    const flood = Array.from({ length: 10 }, (_, i) => submit(h.scheduler, `A${i}`, "stream-A"));
    const newcomer = submit(h.scheduler, "B0", "stream-B");
    release();
    await Promise.all([...flood, newcomer]);
    // A0 ran alone (maxDelayMs 0); B0 is in the very next batch although nine A frames queued before it.
    expect(h.batches[0]).toEqual(["A0"]);
    expect(h.batches[1]).toEqual(["A1", "B0"]);
    // Within a lane, order is kept.
    expect(h.batches.flat().filter((n) => n.startsWith("A"))).toEqual(Array.from({ length: 10 }, (_, i) => `A${i}`));
  });

  it("rejects only the failed item of a batch and keeps serving", async () => {
    const h = harness({ maxBatchSize: 3, maxDelayMs: 0 });
    const release = h.hold();
    const blocker = submit(h.scheduler, "blocker");
    const good = submit(h.scheduler, "good");
    const bad = h.scheduler.submit({ name: "bad", fail: true });
    release();
    await expect(bad).rejects.toThrow("bad failed");
    await expect(good).resolves.toBe("good!");
    await expect(blocker).resolves.toBe("blocker!");
    await expect(submit(h.scheduler, "after")).resolves.toBe("after!");
  });

  it("rejects every item of a batch whose run throws, then serves the next batch", async () => {
    let calls = 0;
    const s = new BatchScheduler<Payload, string>(
      async (payloads) => {
        calls++;
        if (calls === 1) throw new Error("model failed");
        return payloads.map((p) => ({ ok: true, value: p.name }));
      },
      { maxBatchSize: 2, maxDelayMs: 0 },
    );
    const a = s.submit({ name: "a" });
    await expect(a).rejects.toThrow("model failed");
    await expect(s.submit({ name: "b" })).resolves.toBe("b");
  });

  it("a queued item whose signal aborts is rejected at once and never runs", async () => {
    const h = harness({ maxBatchSize: 1, maxDelayMs: 0 });
    const release = h.hold();
    const running = submit(h.scheduler, "running");
    const controller = new AbortController();
    const queued = h.scheduler.submit({ name: "queued" }, { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ kind: "cancelled" });
    release();
    await running;
    expect(h.batches.flat()).toEqual(["running"]);
    expect(h.scheduler.getStats().queued).toBe(0);
  });

  it("an already aborted signal is rejected without queueing", async () => {
    const h = harness({ maxBatchSize: 1, maxDelayMs: 0 });
    await expect(h.scheduler.submit({ name: "x" }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      kind: "cancelled",
    });
    expect(h.batches).toEqual([]);
  });

  it("close rejects what is queued and everything submitted later", async () => {
    const h = harness({ maxBatchSize: 1, maxDelayMs: 0 });
    const release = h.hold();
    const running = submit(h.scheduler, "running");
    const queued = submit(h.scheduler, "queued");
    h.scheduler.close(new FlorenceError("unavailable", "shutting down"));
    await expect(queued).rejects.toMatchObject({ kind: "unavailable" });
    await expect(submit(h.scheduler, "late")).rejects.toMatchObject({ kind: "unavailable" });
    release();
    await expect(running).resolves.toBe("running!");
  });

  it("keeps counters of batches, items and the largest batch", async () => {
    const h = harness({ maxBatchSize: 3, maxDelayMs: 0 });
    const release = h.hold();
    const all = [
      submit(h.scheduler, "a"),
      submit(h.scheduler, "b", undefined, 2),
      submit(h.scheduler, "c"),
      submit(h.scheduler, "d"),
    ];
    release();
    await Promise.all(all);
    // [a] ran alone (maxDelayMs 0), then [b (2 rows), c], then [d].
    expect(h.batches).toEqual([["a"], ["b", "c"], ["d"]]);
    expect(h.scheduler.getStats()).toEqual({ batches: 3, items: 4, largestBatch: 3, queued: 0 });
  });

  it.each([
    [{ maxBatchSize: 0, maxDelayMs: 1 }, /maxBatchSize/],
    [{ maxBatchSize: 1.5, maxDelayMs: 1 }, /maxBatchSize/],
    [{ maxBatchSize: 4, maxDelayMs: -1 }, /maxDelayMs/],
    [{ maxBatchSize: 4, maxDelayMs: Number.NaN }, /maxDelayMs/],
  ])("refuses options %o", (options, message) => {
    expect(() => new BatchScheduler(async () => [], options)).toThrow(message);
  });
});

describe("BatchScheduler formation window (expect)", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("holds a partial batch while announced items are prepared, then runs them together", async () => {
    const h = harness({ maxBatchSize: 8, maxDelayMs: 1, formationMs: 10_000 });
    const first = h.scheduler.expect(1);
    const second = h.scheduler.expect(1);
    expect(h.scheduler.getPreparingRows()).toBe(2);
    const a = submit(h.scheduler, "a");
    await sleep(40);
    expect(h.batches).toEqual([]); // maxDelayMs alone would have started [a] long ago
    const b = submit(h.scheduler, "b");
    first();
    await sleep(20);
    expect(h.batches).toEqual([]);
    const c = submit(h.scheduler, "c");
    second();
    expect(h.scheduler.getPreparingRows()).toBe(0);
    await expect(Promise.all([a, b, c])).resolves.toEqual(["a!", "b!", "c!"]);
    expect(h.batches).toEqual([["a", "b", "c"]]);
  });

  it("waits at most formationMs after the oldest queued item", async () => {
    const h = harness({ maxBatchSize: 8, maxDelayMs: 0, formationMs: 40 });
    h.scheduler.expect(3); // never arrives
    const started = performance.now();
    await expect(submit(h.scheduler, "a")).resolves.toBe("a!");
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(h.batches).toEqual([["a"]]);
  });

  it("starts at once when an announcement is withdrawn without its items (a failed call)", async () => {
    const h = harness({ maxBatchSize: 8, maxDelayMs: 0, formationMs: 60_000 });
    const withdraw = h.scheduler.expect(1);
    const a = submit(h.scheduler, "a");
    await sleep(30);
    expect(h.batches).toEqual([]);
    withdraw();
    withdraw(); // a second call changes nothing
    expect(h.scheduler.getPreparingRows()).toBe(0);
    await expect(a).resolves.toBe("a!");
    expect(h.batches).toEqual([["a"]]);
  });

  it("does not hold a full batch, and formationMs 0 keeps only maxDelayMs", async () => {
    const full = harness({ maxBatchSize: 2, maxDelayMs: 60_000, formationMs: 60_000 });
    full.scheduler.expect(4);
    await expect(Promise.all([submit(full.scheduler, "a"), submit(full.scheduler, "b")])).resolves.toEqual([
      "a!",
      "b!",
    ]);
    const off = harness({ maxBatchSize: 8, maxDelayMs: 0, formationMs: 0 });
    off.scheduler.expect(1);
    await expect(submit(off.scheduler, "alone")).resolves.toBe("alone!");
    expect(off.batches).toEqual([["alone"]]);
  });

  it("counts rows: an announced beam-3 item holds the batch like three items", async () => {
    const h = harness({ maxBatchSize: 4, maxDelayMs: 0, formationMs: 60_000 });
    const withdraw = h.scheduler.expect(3);
    const a = submit(h.scheduler, "a");
    await sleep(20);
    expect(h.batches).toEqual([]);
    const b = submit(h.scheduler, "b", undefined, 3); // 4 rows queued: full
    await expect(Promise.all([a, b])).resolves.toEqual(["a!", "b!"]);
    withdraw();
    expect(h.batches).toEqual([["a", "b"]]);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses formationMs %s", (formationMs) => {
    expect(() => new BatchScheduler(async () => [], { maxBatchSize: 4, maxDelayMs: 1, formationMs })).toThrow(
      /formationMs/,
    );
  });
});
