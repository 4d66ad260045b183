/**
 * FrameReuse on its own, with thumbnails given per frame: what a frame that matches the reference
 * gets when the reference's answer is a result, an error or a LATEST skip; a frame with no
 * thumbnail; the threshold off. Answers are settled by hand, so every order is deterministic.
 */
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { TaskRequest } from "../../core/inputs.js";
import type { StreamFramesResponse } from "../../gen/florence/v1/frames_pb.js";
import { TaskResultSchema } from "../../gen/florence/v1/results_pb.js";
import { answer, type FrameJob } from "../../server/frame-answers.js";
import type { FrameThumbnail } from "../../server/frame-change.js";
import { FrameReuse, type ReuseDecision } from "../../server/frame-reuse.js";

const caption: TaskRequest = { task: "caption" };

const job = (id: number, task: TaskRequest = caption): FrameJob => ({
  frameId: BigInt(id),
  timestampUs: BigInt(id * 10),
  task,
  image: { kind: "raw", width: 1, height: 1, format: "gray", data: new Uint8Array(1) },
});

/** A 2x2 thumbnail of one gray level: levels 0 and 51 differ by exactly 0.2. */
const flat = (level: number): FrameThumbnail => ({
  size: 2,
  sourceWidth: 64,
  sourceHeight: 48,
  cells: Uint8Array.of(level, level, level, level),
});

/** A FrameReuse whose frame i has the thumbnail levels[i] (undefined: no thumbnail). */
function reuseOf(threshold: number, levels: ReadonlyArray<number | undefined>) {
  const asked: number[] = [];
  const reuse = new FrameReuse(threshold, async (j) => {
    asked.push(Number(j.frameId));
    const level = levels[Number(j.frameId)];
    return level === undefined ? undefined : flat(level);
  });
  return { reuse, asked };
}

const result = (j: FrameJob, text: string) =>
  answer(j, { case: "result", value: create(TaskResultSchema, { result: { case: "text", value: { text } } }) });

function ran(d: ReuseDecision): (a: StreamFramesResponse) => void {
  if (!("run" in d) || d.run.settle === undefined) throw new Error(`expected a tracked run, got ${JSON.stringify(d)}`);
  return d.run.settle;
}

function reused(d: ReuseDecision): Promise<StreamFramesResponse> {
  if (!("reuse" in d)) throw new Error("expected a reuse");
  return d.reuse;
}

describe("FrameReuse", () => {
  it("answers a matching frame with the reference's result, its own ids and zero timings, once the reference is answered", async () => {
    const { reuse } = reuseOf(0.1, [100, 110]);
    const settle0 = ran(await reuse.decide(job(0)));
    const pending = reused(await reuse.decide(job(1)));
    let done = false;
    void pending.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false); // waits for frame 0
    settle0(result(job(0), "a desk"));
    const a = await pending;
    expect(a.frameId).toBe(1n);
    expect(a.timestampUs).toBe(10n);
    expect(
      a.outcome.case === "result" && a.outcome.value.result.case === "text" && a.outcome.value.result.value.text,
    ).toBe("a desk");
    expect(a.reused?.frameId).toBe(0n);
    expect(a.reused?.difference).toBeCloseTo(10 / 255, 6);
    expect(a.timings?.modelMs).toBe(0);
  });

  it("runs a frame at or over the threshold and makes it the reference", async () => {
    const { reuse } = reuseOf(0.2, [0, 51, 60, 0]);
    ran(await reuse.decide(job(0)));
    const settle1 = ran(await reuse.decide(job(1))); // 51/255 = 0.2 exactly: not below, runs
    settle1(result(job(1), "lit"));
    expect((await reused(await reuse.decide(job(2)))).reused?.frameId).toBe(1n); // 9 levels from frame 1
    ran(await reuse.decide(job(3))); // 51 levels from frame 1 (the reference), though 60 from frame 2
  });

  it("hands a reference's error to the frames waiting on it, naming it, and runs the next frame", async () => {
    const { reuse } = reuseOf(0.1, [100, 101, 102, 103]);
    const settle0 = ran(await reuse.decide(job(0)));
    const pending = reused(await reuse.decide(job(1)));
    settle0(
      answer(job(0), {
        case: "error",
        value: { code: 4, message: "the frame took longer than its deadline", reason: "deadline_exceeded" },
      }),
    );
    const a = await pending;
    expect(a.outcome.case).toBe("error");
    if (a.outcome.case !== "error") return;
    expect(a.outcome.value.code).toBe(4);
    expect(a.outcome.value.reason).toBe("deadline_exceeded");
    expect(a.outcome.value.message).toBe(
      "frame 0, whose result this unchanged frame would reuse, failed: the frame took longer than its deadline",
    );
    expect(a.reused).toBeUndefined();
    ran(await reuse.decide(job(2))); // the failed frame is no reference any more
    reused(await reuse.decide(job(3)));
  });

  it("skips the frames waiting on a LATEST reference that a newer frame superseded", async () => {
    const { reuse } = reuseOf(0.1, [100, 101, 200]);
    const settle0 = ran(await reuse.decide(job(0)));
    const pending = reused(await reuse.decide(job(1)));
    ran(await reuse.decide(job(2)));
    settle0(answer(job(0), { case: "skipped", value: { reason: "superseded by frame 2", supersededBy: 2n } }));
    const a = await pending;
    expect(a.outcome.case === "skipped" && a.outcome.value.supersededBy).toBe(2n);
    expect(a.reused).toBeUndefined();
  });

  it("runs a frame without a thumbnail and keeps the reference", async () => {
    const { reuse } = reuseOf(0.1, [100, undefined, 101]);
    ran(await reuse.decide(job(0)));
    const d1 = await reuse.decide(job(1));
    expect(d1).toEqual({ run: {} });
    reused(await reuse.decide(job(2)));
  });

  it("compares tasks by value", async () => {
    const { reuse } = reuseOf(0.1, [100, 100, 100, 100]);
    ran(await reuse.decide(job(0, { task: "phrase_grounding", text: "a cup" })));
    reused(await reuse.decide(job(1, { task: "phrase_grounding", text: "a cup" })));
    ran(await reuse.decide(job(2, { task: "phrase_grounding", text: "a mug" })));
    ran(await reuse.decide(job(3)));
  });

  it("threshold 0: every frame runs untracked and no thumbnail is computed", async () => {
    const { reuse, asked } = reuseOf(0, [100, 100]);
    expect(reuse.enabled).toBe(false);
    expect(await reuse.decide(job(0))).toEqual({ run: {} });
    expect(await reuse.decide(job(1))).toEqual({ run: {} });
    expect(asked).toEqual([]);
  });
});
