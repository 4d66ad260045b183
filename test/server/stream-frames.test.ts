/**
 * StreamFrames end to end: QUEUE and LATEST backpressure with frames sent faster than the (fake)
 * model runs, per-frame errors that do not end the stream, task changes, stream-level errors,
 * the open-stream limit, and client cancellation reaching the engine and freeing the stream slot.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import type { StreamFramesRequestSchema, StreamFramesResponse } from "../../gen/florence/v1/frames_pb.js";
import { BackpressureMode } from "../../gen/florence/v1/frames_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import { FakeEngine } from "../support/fake-engine.js";
import type { TransportName } from "./harness.js";
import { client, encodedImage, rawImage, startTestServer } from "./harness.js";

type RequestInit = MessageInitShape<typeof StreamFramesRequestSchema>;

const config = (init: Record<string, unknown> = {}): RequestInit => ({
  message: { case: "config", value: { task: { task: Task.CAPTION }, ...init } },
});
const frame = (id: number, init: Record<string, unknown> = {}): RequestInit => ({
  message: {
    case: "frame",
    value: { frameId: BigInt(id), timestampUs: BigInt(id * 1000), image: rawImage(2, 2), ...init },
  },
});

async function* messages(list: readonly RequestInit[], after?: () => void): AsyncGenerator<RequestInit> {
  try {
    yield* list;
  } finally {
    after?.();
  }
}

async function collect(
  stream: AsyncIterable<StreamFramesResponse>,
): Promise<{ answers: StreamFramesResponse[]; error?: ConnectError }> {
  const answers: StreamFramesResponse[] = [];
  try {
    for await (const a of stream) answers.push(a);
    return { answers };
  } catch (e) {
    return { answers, error: ConnectError.from(e) };
  }
}

const ids = (answers: readonly StreamFramesResponse[]) => answers.map((a) => Number(a.frameId));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(["grpc", "connect h2"] as TransportName[])("StreamFrames over %s", (transport) => {
  it("QUEUE: 200 frames sent faster than the model runs are all answered with results, in order", async () => {
    const s = await startTestServer({ fake: new FakeEngine({ delayMs: 2 }) });
    try {
      const c = client(FlorenceService, s.url, transport);
      const list = [
        config({ backpressure: BackpressureMode.QUEUE, maxInFlight: 2 }),
        ...range(200).map((i) => frame(i)),
      ];
      const { answers, error } = await collect(c.streamFrames(messages(list)));
      expect(error).toBeUndefined();
      expect(ids(answers)).toEqual(range(200));
      expect(answers.every((a) => a.outcome.case === "result")).toBe(true);
      expect(answers[7]?.timestampUs).toBe(7000n);
      expect(answers[7]?.task).toBe(Task.CAPTION);
      expect(s.engine.calls).toHaveLength(200);
      expect(s.engine.maxRunning).toBeLessThanOrEqual(2); // max_in_flight bounds the stream's engine calls
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("LATEST: 200 frames are all answered in order, each with a result or as skipped by a newer frame", async () => {
    const s = await startTestServer();
    try {
      // Frame 0 holds the engine until the client has written every frame. The frames (3 KB each,
      // 600 KB in all) exceed HTTP/2's 64 KB flow-control window, so the client can only finish
      // writing once the server has read nearly all of them: stale frames must be skipped.
      const release = s.engine.hold();
      const big = (i: number) => frame(i, { image: rawImage(32, 32) });
      const list = [config({ backpressure: BackpressureMode.LATEST }), ...range(200).map(big)];
      const { answers, error } = await collect(
        client(FlorenceService, s.url, transport).streamFrames(messages(list, release)),
      );
      expect(error).toBeUndefined();
      expect(ids(answers)).toEqual(range(200));
      const skipped = answers.filter((a) => a.outcome.case === "skipped");
      const results = answers.filter((a) => a.outcome.case === "result");
      expect(skipped.length + results.length).toBe(200);
      expect(skipped.length).toBeGreaterThan(0);
      expect(answers[0]?.outcome.case).toBe("result"); // the first frame always runs
      expect(answers[199]?.outcome.case).toBe("result"); // the newest frame is never superseded
      for (const a of skipped) {
        if (a.outcome.case !== "skipped") continue;
        expect(a.outcome.value.supersededBy).toBeGreaterThan(a.frameId);
        expect(a.outcome.value.reason).toBe(`superseded by frame ${a.outcome.value.supersededBy}`);
      }
      expect(s.engine.calls).toHaveLength(results.length);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});

describe("StreamFrames per-frame answers", () => {
  it("a bad frame gets an error answer and the stream goes on; task changes apply from their frame", async () => {
    const s = await startTestServer();
    try {
      const list = [
        config(),
        frame(0),
        frame(1, { image: encodedImage(0) }), // empty image: per-frame INVALID_ARGUMENT
        frame(2, { task: { task: Task.OCR } }), // switch to OCR
        frame(3, { task: { task: Task.PHRASE_GROUNDING } }), // invalid switch (no text): error, OCR stays
        frame(4),
        frame(5, { image: { source: { case: "encoded", value: new TextEncoder().encode("BAD!") } } }), // engine rejects
        frame(6, { task: { task: Task.PHRASE_GROUNDING, text: "a cat" } }),
      ];
      const { answers, error } = await collect(client(FlorenceService, s.url).streamFrames(messages(list)));
      expect(error).toBeUndefined();
      expect(ids(answers)).toEqual(range(7));
      expect(answers.map((a) => a.outcome.case)).toEqual([
        "result",
        "error",
        "result",
        "error",
        "result",
        "error",
        "result",
      ]);
      expect(answers.map((a) => a.task)).toEqual([
        Task.CAPTION,
        Task.CAPTION,
        Task.OCR,
        Task.OCR,
        Task.OCR,
        Task.OCR,
        Task.PHRASE_GROUNDING,
      ]);
      const emptyImage = answers[1]?.outcome;
      expect(emptyImage?.case === "error" && emptyImage.value).toMatchObject({
        code: Code.InvalidArgument,
        reason: "invalid_image",
      });
      expect(emptyImage?.case === "error" && emptyImage.value.fieldViolations.map((v) => v.field)).toEqual([
        "frame.image.encoded",
      ]);
      const badTask = answers[3]?.outcome;
      expect(badTask?.case === "error" && badTask.value).toMatchObject({
        code: Code.InvalidArgument,
        reason: "missing_text",
      });
      expect(badTask?.case === "error" && badTask.value.message).toMatch(
        /^frame.task.text: is required by TASK_PHRASE_GROUNDING/,
      );
      const engineError = answers[5]?.outcome;
      expect(engineError?.case === "error" && engineError.value.code).toBe(Code.InvalidArgument);
      expect(s.engine.calls.map((c) => c.requests[0]?.task)).toEqual([
        "caption",
        "ocr",
        "ocr",
        "ocr",
        "phrase_grounding",
      ]);
      // Every frame of the stream runs in the stream's own fairness lane.
      const lanes = new Set(s.engine.calls.map((c) => c.options?.lane));
      expect([...lanes]).toHaveLength(1);
      expect([...lanes][0]).toMatch(/^stream:\d+$/);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});

describe("StreamFrames stream-level errors", () => {
  it.each([
    ["a frame before the config", [frame(0)], /^config: the first message must be a StreamConfig/],
    ["a config without task", [{ message: { case: "config", value: {} } } as RequestInit], /^config.task: is required/],
    ["max_in_flight over the limit", [config({ maxInFlight: 99 })], /^config.max_in_flight: must be at most 8/],
    ["an unknown backpressure mode", [config({ backpressure: 9 })], /BACKPRESSURE_MODE_LATEST \(2\)/],
  ])("%s ends the stream with INVALID_ARGUMENT", async (_name, list, message) => {
    const s = await startTestServer();
    try {
      const { answers, error } = await collect(client(FlorenceService, s.url).streamFrames(messages(list)));
      expect(answers).toEqual([]);
      expect(error?.code).toBe(Code.InvalidArgument);
      expect(error?.rawMessage).toMatch(message);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("a second config answers the frames before it, then ends the stream with INVALID_ARGUMENT", async () => {
    const s = await startTestServer();
    try {
      const { answers, error } = await collect(
        client(FlorenceService, s.url).streamFrames(messages([config(), frame(0), frame(1), config(), frame(2)])),
      );
      expect(ids(answers)).toEqual([0, 1]);
      expect(error?.code).toBe(Code.InvalidArgument);
      expect(error?.rawMessage).toMatch(/one StreamConfig/);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("more streams than maxConcurrentStreams: RESOURCE_EXHAUSTED, and the open stream is unaffected", async () => {
    const s = await startTestServer({ maxConcurrentStreams: 1 });
    try {
      const c = client(FlorenceService, s.url);
      let finishFirst: () => void = () => {};
      const firstDone = new Promise<void>((r) => (finishFirst = r));
      async function* first() {
        yield config();
        yield frame(0);
        await firstDone;
        yield frame(1);
      }
      const firstAnswers = collect(c.streamFrames(first()));
      await s.engine.waitForCalls(1);
      const second = await collect(c.streamFrames(messages([config(), frame(0)])));
      expect(second.error?.code).toBe(Code.ResourceExhausted);
      expect(second.error?.rawMessage).toMatch(/too many open streams: this server allows 1/);
      finishFirst();
      const { answers, error } = await firstAnswers;
      expect(error).toBeUndefined();
      expect(ids(answers)).toEqual([0, 1]);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});

describe("StreamFrames cancellation", () => {
  it("cancelling mid-stream aborts the engine call and frees the stream slot", async () => {
    const s = await startTestServer({ maxConcurrentStreams: 1 });
    try {
      const c = client(FlorenceService, s.url);
      const release = s.engine.hold();
      const controller = new AbortController();
      const infinite = async function* () {
        yield config({ maxInFlight: 2 });
        for (let i = 0; ; i++) yield frame(i);
      };
      const cancelled = collect(c.streamFrames(infinite(), { signal: controller.signal }));
      await s.engine.waitForCalls(2);
      controller.abort();
      const { error } = await cancelled;
      expect(error?.code).toBe(Code.Canceled);
      await expect.poll(() => s.engine.running).toBe(0);
      expect(s.engine.aborted).toBeGreaterThanOrEqual(1); // the engine saw the abort
      expect(s.engine.calls.slice(0, 2).every((call) => call.signal?.aborted)).toBe(true);
      release();

      // The only stream slot is free again: a follow-up stream runs to completion.
      const calls = s.engine.calls.length;
      const { answers, error: followUpError } = await collect(
        c.streamFrames(messages([config(), ...range(20).map((i) => frame(i))])),
      );
      expect(followUpError).toBeUndefined();
      expect(answers.every((a) => a.outcome.case === "result")).toBe(true);
      expect(ids(answers)).toEqual(range(20));
      expect(s.engine.calls.length).toBe(calls + 20);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});
