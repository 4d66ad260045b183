/**
 * Stream slots are not held by streams that do nothing: a StreamFrames call that never sends its
 * StreamConfig, or that stops sending frames once every frame is answered, ends with
 * DEADLINE_EXCEEDED and frees its slot (short limits here; the defaults are 10 s and 60 s). A
 * frame the model is still working on keeps its stream alive however long it takes.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import type { StreamFramesRequestSchema, StreamFramesResponse } from "../../gen/florence/v1/frames_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import { RecentIds } from "../../server/recent-ids.js";
import { IdleTimer } from "../../server/stream-timers.js";
import { client, rawImage, startTestServer } from "../server/harness.js";
import { FakeEngine } from "../support/fake-engine.js";

type RequestInit = MessageInitShape<typeof StreamFramesRequestSchema>;

const config: RequestInit = { message: { case: "config", value: { task: { task: Task.CAPTION } } } };
const frame = (id: number): RequestInit => ({
  message: { case: "frame", value: { frameId: BigInt(id), image: rawImage(2, 2) } },
});

/** Yields `list`, then sends nothing more until `hangUp` resolves (the client keeps its side open). */
async function* thenSilent(list: readonly RequestInit[], hangUp: Promise<void>): AsyncGenerator<RequestInit> {
  yield* list;
  await hangUp;
}

interface Outcome {
  readonly answers: StreamFramesResponse[];
  readonly error?: ConnectError;
}

/** The stream's answers and final error, or "still open" if it has not ended within `ms`. */
async function within(ms: number, stream: AsyncIterable<StreamFramesResponse>): Promise<Outcome | "still open"> {
  const answers: StreamFramesResponse[] = [];
  const done = (async (): Promise<Outcome> => {
    try {
      for await (const a of stream) answers.push(a);
      return { answers };
    } catch (e) {
      return { answers, error: ConnectError.from(e) };
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"still open">((resolve) => {
    timer = setTimeout(() => resolve("still open"), ms);
  });
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return result;
}

describe("StreamFrames time limits", () => {
  it("64 streams that never send a message end with DEADLINE_EXCEEDED and free every stream slot", async () => {
    const s = await startTestServer({ streamConfigTimeoutMs: 300, maxConcurrentStreams: 64 });
    let hangUp: () => void = () => {};
    const silence = new Promise<void>((resolve) => (hangUp = resolve));
    try {
      const c = client(FlorenceService, s.url);
      const outcomes = await Promise.all(
        Array.from({ length: 64 }, () => within(5000, c.streamFrames(thenSilent([], silence)))),
      );
      for (const outcome of outcomes) {
        expect(outcome).not.toBe("still open");
        if (outcome === "still open") continue;
        expect(outcome.error?.code).toBe(Code.DeadlineExceeded);
        expect(outcome.error?.rawMessage).toMatch(/no StreamConfig within 300 ms/);
      }
      // Every slot is free again: a well-behaved stream is served.
      const good = await within(5000, c.streamFrames(thenSilent([config, frame(1)], Promise.resolve())));
      expect(good).not.toBe("still open");
      if (good !== "still open") {
        expect(good.error).toBeUndefined();
        expect(good.answers.map((a) => a.outcome.case)).toEqual(["result"]);
      }
    } finally {
      hangUp();
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("an idle stream (every frame answered, no new frame) ends with DEADLINE_EXCEEDED after its answers and frees its slot", async () => {
    const s = await startTestServer({ streamIdleTimeoutMs: 300, maxConcurrentStreams: 1 });
    let hangUp: () => void = () => {};
    const silence = new Promise<void>((resolve) => (hangUp = resolve));
    try {
      const c = client(FlorenceService, s.url);
      const idle = await within(5000, c.streamFrames(thenSilent([config, frame(1), frame(2)], silence)));
      expect(idle).not.toBe("still open");
      if (idle === "still open") return;
      expect(idle.answers.map((a) => [Number(a.frameId), a.outcome.case])).toEqual([
        [1, "result"],
        [2, "result"],
      ]);
      expect(idle.error?.code).toBe(Code.DeadlineExceeded);
      expect(idle.error?.rawMessage).toMatch(/no frame for 300 ms/);
      // The one stream slot is free again.
      const next = await within(5000, c.streamFrames(thenSilent([config, frame(3)], Promise.resolve())));
      expect(next !== "still open" && next.error === undefined).toBe(true);
    } finally {
      hangUp();
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("a frame the model works on for longer than the idle limit keeps its stream open", async () => {
    const s = await startTestServer({ fake: new FakeEngine({ delayMs: 900 }), streamIdleTimeoutMs: 300 });
    let hangUp: () => void = () => {};
    const silence = new Promise<void>((resolve) => (hangUp = resolve));
    try {
      const outcome = await within(
        5000,
        client(FlorenceService, s.url).streamFrames(thenSilent([config, frame(1)], silence)),
      );
      expect(outcome).not.toBe("still open");
      if (outcome === "still open") return;
      // The 900 ms frame was answered; only then did the 300 ms idle clock run out.
      expect(outcome.answers.map((a) => a.outcome.case)).toEqual(["result"]);
      expect(outcome.error?.code).toBe(Code.DeadlineExceeded);
      expect(s.engine.aborted).toBe(0);
    } finally {
      hangUp();
      await s.server.close({ graceMs: 1000 });
    }
  });
});

describe("IdleTimer", () => {
  it("fires once after the limit with nothing in flight, and not while busy", async () => {
    let busy = true;
    let fired = 0;
    const timer = new IdleTimer(
      50,
      () => busy,
      () => fired++,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(fired).toBe(0); // busy the whole time
    busy = false;
    await new Promise((r) => setTimeout(r, 400));
    expect(fired).toBe(1);
    timer.stop();
  });
});

describe("RecentIds", () => {
  it.each([
    ["a repeat inside the window", [1n, 2n, 1n], [true, true, false]],
    ["a repeat older than the window (3 ids)", [1n, 2n, 3n, 4n, 1n], [true, true, true, true, true]],
    ["the newest ids are kept as the window slides", [1n, 2n, 3n, 4n, 4n, 1n], [true, true, true, true, false, true]],
    ["0 is an id like any other", [0n, 0n], [true, false]],
  ])("%s", (_name, ids, expected) => {
    const recent = new RecentIds(3);
    expect(ids.map((id) => recent.add(id))).toEqual(expected);
  });
});
