import { describe, expect, it } from "vitest";
import { FrameSplitter, splitFrames } from "./frame-splitter.js";

/** Bytes 0, 1, 2, ... (mod 256): frame k of size n holds k*n .. k*n+n-1, so a misplaced byte shows. */
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 256);

/** `data` cut at `sizes` (the rest as one last chunk). */
function chunk(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(data.subarray(at, at + s));
    at += s;
  }
  if (at < data.length) out.push(data.subarray(at));
  return out;
}

describe("FrameSplitter", () => {
  it.each([
    ["one chunk per frame", 6, 3, [6, 6]],
    ["all frames in one chunk", 6, 3, [18]],
    ["a frame split across two chunks", 6, 2, [4, 5, 3]],
    ["chunks of one byte", 4, 3, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    ["a chunk ending one byte into a frame", 5, 3, [6, 4]],
    ["a chunk ending one byte before a frame's end", 5, 3, [4, 7]],
    ["empty chunks in between", 4, 2, [0, 3, 0, 5]],
  ])("%s: frame size %i, %i frames, chunks %j", (_, frameBytes, count, sizes) => {
    const data = bytes(frameBytes * count);
    const splitter = new FrameSplitter(frameBytes);
    const frames = chunk(data, sizes).flatMap((c) => splitter.push(c));
    expect(frames.length).toBe(count);
    for (const [k, f] of frames.entries())
      expect([...f]).toEqual([...data.subarray(k * frameBytes, (k + 1) * frameBytes)]);
    expect(splitter.pendingBytes).toBe(0);
  });

  it("holds an incomplete frame back and reports its bytes", () => {
    const splitter = new FrameSplitter(4);
    expect(splitter.push(bytes(6)).length).toBe(1);
    expect(splitter.pendingBytes).toBe(2);
  });

  it("hands out frames that later chunks do not overwrite", () => {
    const splitter = new FrameSplitter(2);
    const [first] = splitter.push(Uint8Array.of(1, 2));
    splitter.push(Uint8Array.of(3, 4));
    expect([...(first ?? [])]).toEqual([1, 2]);
  });

  it.each([0, -1, 1.5])("refuses a frame size of %f", (n) => {
    expect(() => new FrameSplitter(n)).toThrow(/at least 1 byte/);
  });
});

describe("splitFrames", () => {
  async function* from(chunks: Uint8Array[]) {
    yield* chunks;
  }

  it("yields every whole frame and reports a truncated tail", async () => {
    let truncated = 0;
    const frames: Uint8Array[] = [];
    for await (const f of splitFrames(from(chunk(bytes(11), [3, 3])), 4, (n) => {
      truncated = n;
    }))
      frames.push(f);
    expect(frames.length).toBe(2);
    expect(truncated).toBe(3);
  });

  it("reports nothing when the input ends on a frame boundary", async () => {
    let called = false;
    const frames: Uint8Array[] = [];
    for await (const f of splitFrames(from([bytes(8)]), 4, () => {
      called = true;
    }))
      frames.push(f);
    expect(frames.length).toBe(2);
    expect(called).toBe(false);
  });
});
