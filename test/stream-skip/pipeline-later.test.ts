/**
 * FramePipeline.pushLater: an answer known later keeps its place in the order, runs nothing, and a
 * rejection becomes fail().
 */
import { describe, expect, it } from "vitest";
import { FramePipeline } from "../../server/frame-pipeline.js";

type Answer = { readonly id: number; readonly outcome: string };

function setup() {
  const runs: number[] = [];
  const finishers = new Map<number, () => void>();
  const pipeline = new FramePipeline<number, Answer>({
    mode: "queue",
    maxInFlight: 4,
    maxUnanswered: 100,
    signal: new AbortController().signal,
    run: (id) =>
      new Promise<Answer>((resolve) => {
        runs.push(id);
        finishers.set(id, () => resolve({ id, outcome: "ran" }));
      }),
    skip: (id) => ({ id, outcome: "skipped" }),
    fail: (id, e) => ({ id, outcome: `failed: ${(e as Error).message}` }),
  });
  return { pipeline, runs, finish: (id: number) => finishers.get(id)?.() };
}

async function collect(p: FramePipeline<number, Answer>): Promise<Answer[]> {
  const out: Answer[] = [];
  for await (const a of p.answers()) out.push(a);
  return out;
}

describe("FramePipeline.pushLater", () => {
  it("delivers later answers in admission order, behind the job they wait for, without running them", async () => {
    const { pipeline, runs, finish } = setup();
    let release: (a: Answer) => void = () => {};
    const waiting = new Promise<Answer>((r) => (release = r));
    pipeline.push(0);
    pipeline.pushLater(1, waiting);
    pipeline.pushLater(2, Promise.resolve({ id: 2, outcome: "reused" })); // ready first, delivered third
    pipeline.pushLater(3, Promise.reject(new Error("reference failed")));
    pipeline.finish();
    expect(pipeline.running).toBe(1);
    expect(pipeline.outstanding).toBe(4);
    const answers = collect(pipeline);
    finish(0);
    release({ id: 1, outcome: "reused" });
    expect(await answers).toEqual([
      { id: 0, outcome: "ran" },
      { id: 1, outcome: "reused" },
      { id: 2, outcome: "reused" },
      { id: 3, outcome: "failed: reference failed" },
    ]);
    expect(runs).toEqual([0]);
  });
});
