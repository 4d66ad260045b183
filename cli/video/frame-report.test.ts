import { describe, expect, it } from "vitest";
import type { FrameAnswer } from "../../client/index.js";
import { frameLine, StreamTally } from "./frame-report.js";

const timings = { queueMs: 0, modelMs: 0 };
const base = { timestampUs: 200_000, task: "caption" as const, timings };
const result: FrameAnswer = {
  ...base,
  frameId: 1,
  kind: "result",
  result: { kind: "text", text: "a cat" } as never,
};
const reused: FrameAnswer = { ...result, frameId: 5, reusedFrom: { frameId: 1, difference: 0.004 } } as FrameAnswer;
const skipped: FrameAnswer = { ...base, frameId: 2, kind: "skipped", reason: "superseded by frame 3", supersededBy: 3 };
const error: FrameAnswer = {
  ...base,
  frameId: 4,
  kind: "error",
  error: { code: 3, message: "bad image", reason: "invalid_image", violations: [] },
};

describe("frameLine", () => {
  it.each([
    [result, { frame: 1, outcome: "result", result: { kind: "text", text: "a cat" } }],
    [reused, { frame: 5, outcome: "result", reusedFrom: 1, result: { kind: "text", text: "a cat" } }],
    [skipped, { frame: 2, outcome: "skipped", reason: "superseded by frame 3", supersededBy: 3 }],
    [error, { frame: 4, outcome: "error", error: { code: 3, message: "bad image", reason: "invalid_image" } }],
  ])("%#: a %s answer", (answer, expected) => {
    const line = frameLine(answer, 12.345);
    expect(line).toMatchObject({ ...expected, timestampUs: 200_000, task: "caption", latencyMs: 12.3 });
    expect(JSON.parse(JSON.stringify(line))).toEqual(line);
  });

  it("a result that ran has no reusedFrom", () => {
    expect(frameLine(result, 1)).not.toHaveProperty("reusedFrom");
  });

  it("leaves latencyMs out when the send time is unknown", () => {
    expect(frameLine(result, undefined)).not.toHaveProperty("latencyMs");
  });
});

describe("StreamTally", () => {
  it("counts each outcome, the unanswered, and results per second from first send to last answer", () => {
    const tally = new StreamTally();
    for (const t of [1000, 1100, 1200, 1300, 1400]) tally.frameSent(t);
    tally.answered(result, 1500);
    tally.answered(reused, 1800);
    tally.answered(skipped, 1900);
    tally.answered(error, 2000);
    expect(tally.summary(2)).toEqual({
      summary: true,
      sent: 5,
      answered: 4,
      results: 2,
      reused: 1,
      skipped: 1,
      errors: 1,
      unanswered: 1,
      seconds: 1,
      fps: 2,
      drawn: 2,
    });
  });

  it("is all zero when nothing was sent", () => {
    expect(new StreamTally().summary()).toMatchObject({ sent: 0, answered: 0, seconds: 0, fps: 0 });
    expect(new StreamTally().summary()).not.toHaveProperty("drawn");
  });
});
