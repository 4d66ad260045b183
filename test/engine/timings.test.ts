/**
 * Per-call stage timings (GenerationOptions.onTimings) through the worker thread on the tiny
 * fixture. What is checked is consistency, not speed: every field is a finite number >= 0, they
 * add up to no more than the call's own wall time, a vision-cache hit reports no vision time, and
 * calls that shared a batch report the same model stages.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorence, type Florence, type GenerationOptions, type RunTimings } from "../../models/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);
const FIELDS = ["queueMs", "preprocessMs", "visionMs", "encoderMs", "decoderMs", "postprocessMs"] as const;

let florence: Florence;
let coffee: Uint8Array;
let chelsea: Uint8Array;

beforeAll(async () => {
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
  chelsea = await readFile(new URL("chelsea_alpha.png", IMAGES));
  florence = await createFlorence({ model: MODEL, maxDelayMs: 200 });
});
afterAll(async () => {
  await florence?.close();
});

/** Runs one caption call and returns what onTimings reported, how often, and the call's wall time. */
async function timedCaption(
  image: Uint8Array,
  options: GenerationOptions = {},
): Promise<{ timings: RunTimings[]; wallMs: number }> {
  const timings: RunTimings[] = [];
  const started = performance.now();
  await florence.run({ task: "caption" }, [image], {
    maxNewTokens: 6,
    numBeams: 1,
    ...options,
    onTimings: (t) => timings.push(t),
  });
  return { timings, wallMs: performance.now() - started };
}

const total = (t: RunTimings) => FIELDS.reduce((sum, f) => sum + t[f], 0);

describe("onTimings", () => {
  it("is called once per call with finite, non-negative stages that fit in the call's wall time", async () => {
    const { timings, wallMs } = await timedCaption(chelsea);
    expect(timings).toHaveLength(1);
    const t = timings[0]!;
    for (const f of FIELDS) {
      expect(Number.isFinite(t[f]), f).toBe(true);
      expect(t[f], f).toBeGreaterThanOrEqual(0);
    }
    expect(t.visionMs).toBeGreaterThan(0);
    expect(t.encoderMs).toBeGreaterThan(0);
    expect(t.decoderMs).toBeGreaterThan(0);
    expect(total(t)).toBeLessThanOrEqual(wallMs + 1);
  });

  it("reports no vision time when the image's features come from the vision cache", async () => {
    await timedCaption(coffee);
    const { timings } = await timedCaption(coffee);
    expect(timings[0]!.visionMs).toBe(0);
    expect(timings[0]!.decoderMs).toBeGreaterThan(0);
  });

  it("calls that shared a batch report that batch's model stages", async () => {
    const before = await florence.stats();
    const [a, b] = await Promise.all([
      timedCaption(chelsea, { maxNewTokens: 4 }),
      timedCaption(coffee, { maxNewTokens: 8 }),
    ]);
    const after = await florence.stats();
    expect(after.batches - before.batches).toBe(1);
    const [ta, tb] = [a.timings[0]!, b.timings[0]!];
    expect(ta.visionMs).toBe(tb.visionMs);
    expect(ta.encoderMs).toBe(tb.encoderMs);
    expect(ta.decoderMs).toBe(tb.decoderMs);
  });

  it("is not called when the call fails", async () => {
    const timings: RunTimings[] = [];
    await expect(
      florence.run({ task: "caption" }, [new Uint8Array([1, 2, 3])], { onTimings: (t) => timings.push(t) }),
    ).rejects.toThrow();
    expect(timings).toHaveLength(0);
  });
});

describe("an onTimings callback that throws", () => {
  it("fails only its own call, with an error that names the callback; the engine keeps serving", async () => {
    const call = florence.run({ task: "caption" }, [coffee], {
      maxNewTokens: 4,
      onTimings: () => {
        throw new Error("boom");
      },
    });
    await expect(call).rejects.toThrow(/onTimings callback threw: boom/);
    const [answer] = await florence.run({ task: "caption" }, [coffee], { maxNewTokens: 4 });
    expect(answer?.kind).toBe("text");
  });
});
