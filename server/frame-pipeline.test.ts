import { describe, expect, it } from "vitest";
import type { FramePipelineOptions } from "./frame-pipeline.js";
import { FramePipeline } from "./frame-pipeline.js";

type Answer = { id: number; outcome: "done" | "skipped" | "failed"; by?: number };

/** A pipeline whose jobs finish only when the test resolves them, in any order. */
function setup(mode: "queue" | "latest", maxInFlight: number, maxUnanswered = 100) {
  const pending = new Map<number, () => void>();
  const started: number[] = [];
  const controller = new AbortController();
  const options: FramePipelineOptions<number, Answer> = {
    mode,
    maxInFlight,
    maxUnanswered,
    signal: controller.signal,
    run: (id, signal) =>
      new Promise<Answer>((resolve, reject) => {
        started.push(id);
        pending.set(id, () => (id < 0 ? reject(new Error("boom")) : resolve({ id, outcome: "done" })));
        signal.addEventListener("abort", () => reject(new Error("aborted")));
      }),
    skip: (id, newer) => ({ id, outcome: "skipped", by: newer }),
    fail: (id) => ({ id, outcome: "failed" }),
  };
  const pipeline = new FramePipeline(options);
  const finish = (id: number) => {
    const f = pending.get(id);
    if (!f) throw new Error(`job ${id} is not running`);
    pending.delete(id);
    f();
  };
  return { pipeline, started, finish, controller };
}

async function collect(p: FramePipeline<number, Answer>): Promise<Answer[]> {
  const out: Answer[] = [];
  for await (const a of p.answers()) out.push(a);
  return out;
}

const tick = () => new Promise((r) => setImmediate(r));

describe("FramePipeline queue mode", () => {
  it("runs every job and answers in admission order even when jobs finish out of order", async () => {
    const { pipeline, started, finish } = setup("queue", 3);
    const answers = collect(pipeline);
    for (const id of [1, 2, 3]) pipeline.push(id);
    expect(pipeline.hasRoom()).toBe(false); // 3 outstanding = maxInFlight: the reader must stop
    expect(started).toEqual([1, 2, 3]);
    finish(3);
    finish(2);
    await tick();
    expect(pipeline.hasRoom()).toBe(false); // answers 2 and 3 wait behind 1
    finish(1);
    await tick();
    expect(pipeline.hasRoom()).toBe(true);
    pipeline.finish();
    expect((await answers).map((a) => a.id)).toEqual([1, 2, 3]);
  });

  it("turns a rejected run into the job's own failure answer", async () => {
    const { pipeline, finish } = setup("queue", 2);
    const answers = collect(pipeline);
    pipeline.push(-1);
    pipeline.push(2);
    finish(2);
    finish(-1);
    pipeline.finish();
    expect(await answers).toEqual([
      { id: -1, outcome: "failed" },
      { id: 2, outcome: "done" },
    ]);
  });

  it("keeps validation answers in order between jobs", async () => {
    const { pipeline, finish } = setup("queue", 4);
    const answers = collect(pipeline);
    pipeline.push(1);
    pipeline.pushAnswer({ id: 2, outcome: "failed" });
    pipeline.push(3);
    finish(3);
    finish(1);
    pipeline.finish();
    expect((await answers).map((a) => a.id)).toEqual([1, 2, 3]);
  });
});

describe("FramePipeline latest mode", () => {
  it("keeps only the newest waiting job and answers replaced ones as skipped, in order", async () => {
    const { pipeline, started, finish } = setup("latest", 1);
    const answers = collect(pipeline);
    for (const id of [1, 2, 3, 4]) pipeline.push(id);
    expect(started).toEqual([1]);
    expect(pipeline.hasRoom()).toBe(true); // latest mode keeps reading
    finish(1);
    await tick();
    expect(started).toEqual([1, 4]); // 2 and 3 were superseded while 1 ran
    finish(4);
    pipeline.finish();
    expect(await answers).toEqual([
      { id: 1, outcome: "done" },
      { id: 2, outcome: "skipped", by: 3 },
      { id: 3, outcome: "skipped", by: 4 },
      { id: 4, outcome: "done" },
    ]);
  });

  it("pauses reading when maxUnanswered answers pile up", () => {
    const { pipeline } = setup("latest", 1, 3);
    for (const id of [1, 2, 3]) pipeline.push(id);
    expect(pipeline.hasRoom()).toBe(false);
  });
});

describe("FramePipeline abort", () => {
  it("ends answers() and aborts running jobs; waiting jobs never start", async () => {
    const { pipeline, started, controller } = setup("latest", 1);
    const answers = collect(pipeline);
    pipeline.push(1);
    pipeline.push(2);
    controller.abort();
    await answers;
    await tick();
    expect(started).toEqual([1]);
    expect(pipeline.running).toBe(0);
  });

  it("wakes a reader waiting for room", async () => {
    const { pipeline, controller } = setup("queue", 1);
    pipeline.push(1);
    const waiting = pipeline.waitForRoom();
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
