import { describe, expect, it } from "vitest";
import { type BatchStageTimes, callTimings } from "./timings.js";

const batch = (
  startedAt: number,
  visionMs: number,
  encoderMs: number,
  decoderMs: number,
  gapMs = 0,
): BatchStageTimes => ({
  startedAt,
  endedAt: startedAt + visionMs + encoderMs + decoderMs + gapMs,
  visionMs,
  encoderMs,
  decoderMs,
});
const local = { preprocessMs: 7, postprocessMs: 2 };

describe("callTimings", () => {
  const a = batch(100, 3000, 300, 6000);
  const b = batch(9400, 0, 250, 4000, 50);
  it.each([
    ["one batch, started at once", 100, [a, a, a], { queueMs: 0, visionMs: 3000, encoderMs: 300, decoderMs: 6000 }],
    ["one batch, waited 40 ms to form", 60, [a], { queueMs: 40, visionMs: 3000, encoderMs: 300, decoderMs: 6000 }],
    [
      "split over two batches: stages add up, the gap between them is queue",
      100,
      [a, b, b],
      { queueMs: 50, visionMs: 3000, encoderMs: 550, decoderMs: 10000 },
    ],
    ["no batch (every item failed before one)", 100, [], { queueMs: 0, visionMs: 0, encoderMs: 0, decoderMs: 0 }],
  ] as const)("%s", (_name, submittedAt, batches, expected) => {
    expect(callTimings(submittedAt, batches, local)).toEqual({ ...expected, ...local });
  });
});
