/**
 * Bad requests and failures over the wire: the right status code, a message that says what to
 * fix, google.rpc details, nothing internal leaked, and the server keeps serving afterwards.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DetectionLabelsMode, FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { PixelFormat } from "../../gen/florence/v1/image_pb.js";
import { ModelService } from "../../gen/florence/v1/model_service_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { FlorenceError } from "../../models/errors.js";
import { FakeEngine, LEAKY_ERROR_TEXT } from "../support/fake-engine.js";
import type { TestServer, TransportName } from "./harness.js";
import { client, encodedImage, rawImage, startTestServer, TRANSPORTS } from "./harness.js";

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded, but it should have failed");
}

function violations(e: ConnectError): string[] {
  return e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ readMaxBytes: 1024 * 1024, maxImagesPerRequest: 4 });
});
afterAll(() => t.server.close({ graceMs: 1000 }));

describe.each(TRANSPORTS)("invalid requests over %s", (transport: TransportName) => {
  const c = () => client(FlorenceService, t.url, transport);

  it("an empty image is INVALID_ARGUMENT naming images[i] with ErrorInfo and BadRequest details", async () => {
    const e = await failure(c().captionImage({ images: [rawImage(2, 2), encodedImage(0)] }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(/^images\[1\]\.encoded: the image is empty/);
    expect(violations(e)).toEqual(["images[1].encoded"]);
    expect(e.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "invalid_image", domain: "florence2" });
  });

  it("an unknown enum value lists the valid values", async () => {
    const e = await failure(c().run({ task: 42 as Task, images: [rawImage(1, 1)] }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(/^task: has unknown value 42; use one of TASK_CAPTION \(1\), /);
  });

  it("a missing phrase is INVALID_ARGUMENT naming `phrase`", async () => {
    const e = await failure(c().segmentPhrase({ images: [rawImage(1, 1)], phrase: "   " }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(violations(e)).toEqual(["phrase"]);
    expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe("missing_text");
  });

  it("a message over readMaxBytes is RESOURCE_EXHAUSTED", async () => {
    const e = await failure(c().captionImage({ images: [encodedImage(2 * 1024 * 1024)] }));
    expect(e.code).toBe(Code.ResourceExhausted);
    expect(e.rawMessage).toMatch(/readMaxBytes|larger than/);
    // connect refuses it before any handler: the server still writes one log line for it.
    await expect.poll(() => t.logs.filter((l) => "readMaxBytes" in l).length).toBeGreaterThan(0);
  });
});

describe("a StreamFrames message over readMaxBytes", () => {
  it("ends the stream RESOURCE_EXHAUSTED; its one request line has the limit and no payload", async () => {
    const requestId = "stream-over-limit";
    async function* requests() {
      yield { message: { case: "config" as const, value: { task: { task: Task.CAPTION } } } };
      yield { message: { case: "frame" as const, value: { frameId: 1n, image: encodedImage(2 * 1024 * 1024, 0x5a) } } };
    }
    const stream = client(FlorenceService, t.url).streamFrames(requests(), { headers: { "x-request-id": requestId } });
    const e = await failure(
      (async () => {
        for await (const _ of stream) {
          // no answer is expected: the frame is refused while it is read
        }
      })(),
    );
    expect(e.code).toBe(Code.ResourceExhausted);
    const lines = () => t.logs.filter((l) => l.msg === "request" && "requestId" in l && l.requestId === requestId);
    await expect.poll(() => lines().length).toBe(1);
    expect(lines()[0]).toMatchObject({
      method: "florence.v1.FlorenceService/StreamFrames",
      code: "resource_exhausted",
      readMaxBytes: 1024 * 1024,
    });
    expect(JSON.stringify(lines()[0])).not.toContain("ZZZZ");
  });
});

describe("HTTP/1.1 after an oversized request", () => {
  it.each(["grpc-web h1", "connect h1"] as const)("the same %s client's next request succeeds", async (transport) => {
    const c = client(FlorenceService, t.url, transport);
    expect((await failure(c.captionImage({ images: [encodedImage(2 * 1024 * 1024)] }))).code).toBe(
      Code.ResourceExhausted,
    );
    // Without `Connection: close` on the early answer, this failed with ECONNRESET after 5 s.
    const r = await c.captionImage({ images: [rawImage(2, 1)] }, { timeoutMs: 3000 });
    expect(r.results[0]?.text).toBe("caption:caption:2x1");
  });
});

describe("more invalid requests (gRPC)", () => {
  const c = () => client(FlorenceService, t.url);

  it.each([
    ["no images", () => c().ocrImage({ images: [] }), ["images"]],
    ["too many images", () => c().ocrImage({ images: Array.from({ length: 5 }, () => rawImage(1, 1)) }), ["images"]],
    [
      "raw data of the wrong size",
      () =>
        c().ocrImage({
          images: [
            {
              source: { case: "raw", value: { width: 2, height: 2, format: PixelFormat.RGB, data: new Uint8Array(5) } },
            },
          ],
        }),
      ["images[0].raw.data"],
    ],
    ["a region task without region", () => c().classifyImageRegion({ images: [rawImage(1, 1)] }), ["region"]],
    [
      "an inverted region",
      () => c().ocrImageRegion({ images: [rawImage(1, 1)], region: { x1: 5, y1: 0, x2: 1, y2: 1 } }),
      ["region"],
    ],
    [
      "TASK_UNSPECIFIED in RunTasks",
      () => c().runTasks({ image: rawImage(1, 1), tasks: [{ task: Task.CAPTION }, {}] }),
      ["tasks[1].task"],
    ],
    [
      "labels_mode with classes",
      () => c().detectObjects({ images: [rawImage(1, 1)], classes: ["a", ""], labelsMode: DetectionLabelsMode.ROIS }),
      ["labels_mode", "classes[1]"],
    ],
    [
      "num_beams over the limit",
      () => c().captionImage({ images: [rawImage(1, 1)], options: { numBeams: 99 } }),
      ["options.num_beams"],
    ],
  ])("%s", async (_name, call, fields) => {
    const calls = t.engine.calls.length;
    const e = await failure(call());
    expect(e.code).toBe(Code.InvalidArgument);
    expect(violations(e)).toEqual(fields);
    expect(t.engine.calls.length).toBe(calls); // rejected before touching the engine
  });
});

describe("engine failures", () => {
  const c = () => client(FlorenceService, t.url);

  it("an engine invalid_image is INVALID_ARGUMENT with the engine's message", async () => {
    const bad = { source: { case: "encoded" as const, value: new TextEncoder().encode("BAD image") } };
    const e = await failure(c().captionImage({ images: [bad] }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toContain("not a JPEG, PNG");
  });

  it("an unexpected engine failure is INTERNAL without library text; the log keeps the cause", async () => {
    const boom = { source: { case: "encoded" as const, value: new TextEncoder().encode("BOOM") } };
    const e = await failure(c().captionImage({ images: [boom] }));
    expect(e.code).toBe(Code.Internal);
    expect(e.rawMessage).not.toContain("onnxruntime");
    expect(JSON.stringify(e.findDetails(ErrorInfoSchema))).not.toContain("onnxruntime");
    const entry = t.logs.findLast((l) => l.msg === "request");
    expect(entry).toMatchObject({ level: "error", code: "internal" });
    expect(JSON.stringify(entry)).toContain(LEAKY_ERROR_TEXT);
  });

  it("a deadline stops the engine call: DEADLINE_EXCEEDED and the engine saw the abort", async () => {
    t.engine.delayMs = 10_000;
    const aborted = t.engine.aborted;
    try {
      const e = await failure(c().captionImage({ images: [rawImage(1, 1)] }, { timeoutMs: 100 }));
      expect(e.code).toBe(Code.DeadlineExceeded);
      await expect.poll(() => t.engine.aborted).toBe(aborted + 1);
      expect(t.engine.calls.at(-1)?.signal?.aborted).toBe(true);
    } finally {
      t.engine.delayMs = 0;
    }
  });

  it("the server keeps serving after all of the above", async () => {
    const r = await c().captionImage({ images: [rawImage(3, 1)] });
    expect(r.results[0]?.text).toBe("caption:caption:3x1");
  });
});

describe("limits and loading", () => {
  it("a full admission queue is RESOURCE_EXHAUSTED with RetryInfo", async () => {
    const s = await startTestServer({ maxConcurrentRequests: 1, maxQueuedRequests: 0 });
    try {
      const release = s.engine.hold();
      const c = client(FlorenceService, s.url);
      const first = c.ocrImage({ images: [rawImage(1, 1)] });
      await s.engine.waitForCalls(1);
      const e = await failure(c.ocrImage({ images: [rawImage(1, 1)] }));
      expect(e.code).toBe(Code.ResourceExhausted);
      expect(e.findDetails(RetryInfoSchema)).toHaveLength(1);
      release();
      await expect(first).resolves.toBeDefined();
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("while the model loads: UNAVAILABLE; once loaded: served", async () => {
    let resolve: (e: FakeEngine) => void = () => {};
    const engine = new FakeEngine();
    const s = await startTestServer({ engine: new Promise<FakeEngine>((r) => (resolve = r)) });
    try {
      const c = client(FlorenceService, s.url);
      const e = await failure(c.ocrImage({ images: [rawImage(1, 1)] }));
      expect(e.code).toBe(Code.Unavailable);
      expect(e.rawMessage).toMatch(/still loading/);
      resolve(engine);
      await expect(s.server.ready).resolves.toBe(true);
      await expect(c.ocrImage({ images: [rawImage(1, 1)] })).resolves.toBeDefined();
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("a failed model load is FAILED_PRECONDITION with the load error's message, its path only in the log", async () => {
    const s = await startTestServer({
      engine: Promise.reject(
        new FlorenceError("model_load", "onnx/decoder_model_merged.onnx is missing in /srv/models/m"),
      ),
    });
    try {
      await expect(s.server.ready).resolves.toBe(false);
      const e = await failure(client(ModelService, s.url).listModels({}));
      expect(e.code).toBe(Code.FailedPrecondition);
      expect(e.rawMessage).toBe(
        'model "default" could not be loaded: onnx/decoder_model_merged.onnx is missing in [path in the server log]',
      );
      expect(e.rawMessage).not.toContain("/srv");
      const logged = s.logs.filter((l) => l.cause?.includes("missing in /srv/models/m"));
      expect(logged.map((l) => l.msg)).toEqual(["model failed to load", "request"]);
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });

  it("a raw 4K RGB frame (25 MB) fits the default readMaxBytes over gRPC", async () => {
    const s = await startTestServer();
    try {
      const r = await client(FlorenceService, s.url).ocrImage({ images: [rawImage(3840, 2160)] });
      expect(r.results[0]?.text).toBe("ocr:ocr:3840x2160");
    } finally {
      await s.server.close({ graceMs: 1000 });
    }
  });
});
