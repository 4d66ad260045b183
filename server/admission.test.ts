import { describe, expect, it } from "vitest";
import { AdmissionQueue, SlotLimit } from "./admission.js";

describe("AdmissionQueue", () => {
  it("runs up to maxConcurrent, queues FIFO up to maxQueued, then fails with queue_full", async () => {
    const q = new AdmissionQueue({ maxConcurrent: 2, maxQueued: 2 });
    const a = await q.acquire();
    const b = await q.acquire();
    expect(q.running).toBe(2);
    const order: string[] = [];
    const record = (name: string) => <T>(ticket: T) => {
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
