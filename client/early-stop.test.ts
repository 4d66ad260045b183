/** readUntilStopped over a fake call: what an early stop, a full read and the caller's abort do. */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { readUntilStopped } from "./early-stop.js";

/** A call that yields `count` messages, then ends; after an abort it ends at once with the abort's reason. */
function fakeCall(count: number) {
  const seen = { signal: undefined as AbortSignal | undefined, produced: 0, returned: false };
  const open = (signal: AbortSignal): AsyncIterable<number> => {
    seen.signal = signal;
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (signal.aborted) throw signal.reason;
          if (seen.produced >= count) return { done: true, value: undefined };
          return { done: false, value: seen.produced++ };
        },
        return: async () => {
          seen.returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
  };
  return { open, seen };
}

describe("readUntilStopped", () => {
  it("reads every message and aborts nothing when the caller reads to the end", async () => {
    const { open, seen } = fakeCall(3);
    const got: number[] = [];
    for await (const m of readUntilStopped(open, undefined)) got.push(m);
    expect(got).toEqual([0, 1, 2]);
    expect(seen.signal?.aborted).toBe(false);
  });

  it("on a break, cancels the call with CANCELED and reads what is left instead of returning it", async () => {
    const { open, seen } = fakeCall(5);
    for await (const m of readUntilStopped(open, undefined)) if (m === 1) break;
    expect(seen.signal?.aborted).toBe(true);
    expect(ConnectError.from(seen.signal?.reason).code).toBe(Code.Canceled);
    // Drained through next() (which ended with the abort), never left with return().
    expect(seen.returned).toBe(false);
  });

  it("follows the caller's signal", async () => {
    const { open, seen } = fakeCall(5);
    const caller = new AbortController();
    const reading = (async () => {
      for await (const m of readUntilStopped(open, caller.signal)) if (m === 0) caller.abort(new Error("enough"));
    })();
    await expect(reading).rejects.toThrow("enough");
    expect(seen.signal?.aborted).toBe(true);
  });
});
