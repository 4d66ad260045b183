import { describe, expect, it } from "vitest";
import { AdmissionQueue, estimatedWaitMs, nextMean, SlotLimit } from "./admission.js";

describe("AdmissionQueue", () => {
  it("runs up to maxConcurrent, queues FIFO up to maxQueued, then fails with queue_full", async () => {
    const q = new AdmissionQueue({ maxConcurrent: 2, maxQueued: 2 });
    const a = await q.acquire();
    const b = await q.acquire();
    expect(q.running).toBe(2);
    const order: string[] = [];
    const record =
      (name: string) =>
      <T>(ticket: T) => {
        order.push(name);
        return ticket;
      };
    const c = q.acquire().then(record("c"));
    const d = q.acquire().then(record("d"));
    expect(q.waiting).toBe(2);
    await expect(q.acquire()).rejects.toMatchObject({ kind: "queue_full" });
    a.release();
    a.release(); // idempotent: must not free a second slot
    const tc = await c;
    expect(order).toEqual(["c"]);
    b.release();
    const td = await d;
    expect(order).toEqual(["c", "d"]);
    expect(q.running).toBe(2);
    tc.release();
    td.release();
    expect(q.running).toBe(0);
  });

  it("removes a waiter whose signal aborts and rejects it as cancelled", async () => {
    const q = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 1 });
    const held = await q.acquire();
    const controller = new AbortController();
    const waiting = q.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: "cancelled" });
    expect(q.waiting).toBe(0);
    held.release();
    expect(q.running).toBe(0);
    await expect(q.acquire(controller.signal)).rejects.toMatchObject({ kind: "cancelled" });
  });
});

describe("SlotLimit", () => {
  it("hands out at most max slots and takes them back once", () => {
    const s = new SlotLimit(1);
    const release = s.tryAcquire();
    expect(release).toBeTypeOf("function");
    expect(s.tryAcquire()).toBeUndefined();
    release?.();
    release?.();
    expect(s.used).toBe(0);
    expect(s.tryAcquire()).toBeTypeOf("function");
  });
});

describe("estimatedWaitMs", () => {
  it.each([
    ["a free slot: no wait", { running: 1, waiting: 0, maxConcurrent: 2, meanCallMs: 1000 }, 0],
    ["no call timed yet: no evidence, no wait", { running: 2, waiting: 5, maxConcurrent: 2, meanCallMs: undefined }, 0],
    ["all busy, nobody waiting: one slot to free", { running: 1, waiting: 0, maxConcurrent: 1, meanCallMs: 400 }, 400],
    ["all busy, one waiting: two slots to free", { running: 1, waiting: 1, maxConcurrent: 1, meanCallMs: 400 }, 800],
    ["slots free up maxConcurrent at a time", { running: 32, waiting: 255, maxConcurrent: 32, meanCallMs: 1000 }, 8000],
  ] as const)("%s", (_name, state, expected) => {
    expect(estimatedWaitMs(state)).toBe(expected);
  });
});

describe("nextMean", () => {
  it.each([
    [undefined, 300, 300],
    [100, 100, 100],
    [100, 600, 200],
    [1000, 0, 800],
  ] as const)("mean %s, sample %s -> %s", (mean, sample, expected) => {
    expect(nextMean(mean, sample)).toBeCloseTo(expected, 9);
  });
});

describe("AdmissionQueue and the caller's deadline", () => {
  it("refuses with queue_full at once when the estimated wait exceeds the time left, and admits when it does not", async () => {
    const q = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 4 });
    (await q.acquire()).release(); // a call of ~0 ms: the mean starts near 0
    const held = await q.acquire();
    // Nothing timed is long yet: the estimate is tiny, so a 1 s deadline queues.
    const waiting = q.acquire(undefined, 1000);
    expect(q.waiting).toBe(1);
    held.release();
    const next = await waiting;
    // Teach the queue a long call, then a newcomer with a short deadline is refused at once.
    await new Promise((resolve) => setTimeout(resolve, 60));
    next.release();
    const busy = await q.acquire();
    expect(q.state.meanCallMs).toBeGreaterThan(5);
    await expect(q.acquire(undefined, 1)).rejects.toMatchObject({ kind: "queue_full" });
    expect(q.waiting).toBe(0);
    busy.release();
  });
});
