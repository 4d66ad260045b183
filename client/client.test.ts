/**
 * The client over an in-memory router transport with a stub service (no sockets): what each method
 * sends, how answers become plain objects, and that call options and errors pass through.
 * End-to-end tests against the real server are in test/client/.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CaptionGranularity, DetectionLabelsMode, FlorenceService } from "../gen/florence/v1/florence_service_pb.js";
import type { StreamFramesRequest } from "../gen/florence/v1/frames_pb.js";
import { type Image, ImageSchema } from "../gen/florence/v1/image_pb.js";
import { ExecutionProvider, ModelDtype, ModelService } from "../gen/florence/v1/model_service_pb.js";
import { type TextResultSchema, TaskResultSchema } from "../gen/florence/v1/results_pb.js";
import { Task } from "../gen/florence/v1/task_pb.js";
import { createFlorenceClientOnTransport, type FlorenceClient } from "./client.js";
import type { FrameInput } from "./inputs.js";

/** What the stub saw: the last request of each method and the call context. */
interface Seen {
  request?: unknown;
  headers?: Headers;
  timeoutMs?: number | undefined;
  stream: StreamFramesRequest[];
}

/** Encodes which image it was in the answer text, so order and count are checkable. */
function describeImage(image: Image): string {
  return image.source.case === "raw"
    ? `raw ${image.source.value.width}x${image.source.value.height}`
    : `encoded ${image.source.value?.length}`;
}

function text(task: Task, answer: string): MessageInitShape<typeof TextResultSchema> {
  return {
    text: answer,
    confidence: 0.5,
    task,
    imageSize: { width: 8, height: 4 },
    rawText: `</s><s>${answer}</s>`,
    generatedTokens: 3,
  };
}

function makeClient(seen: Seen): FlorenceClient {
  const note = (request: unknown, ctx: HandlerContext) => {
    seen.request = request;
    seen.headers = ctx.requestHeader;
    seen.timeoutMs = ctx.timeoutMs();
  };
  const transport = createRouterTransport(({ service }) => {
    service(FlorenceService, {
      captionImage(req, ctx) {
        note(req, ctx);
        return { results: req.images.map((img) => text(Task.CAPTION, describeImage(img))) };
      },
      detectObjects(req, ctx) {
        note(req, ctx);
        const detections = req.classes.map((label, i) => ({
          label,
          box: { x1: i, y1: 1, x2: 10, y2: 11 },
          confidence: 0.25,
        }));
        return {
          results: req.images.map(() => ({
            detections,
            task: Task.PHRASE_GROUNDING,
            imageSize: { width: 8, height: 4 },
          })),
        };
      },
      classifyImageRegion(req, ctx) {
        note(req, ctx);
        const r = req.region;
        return { results: req.images.map(() => text(Task.REGION_TO_CATEGORY, `${r?.x1},${r?.y1},${r?.x2},${r?.y2}`)) };
      },
      run(req, ctx) {
        note(req, ctx);
        return {
          results: req.images.map(() =>
            create(TaskResultSchema, { result: { case: "text", value: text(req.task, req.text) } }),
          ),
        };
      },
      parseDocument(req, ctx) {
        note(req, ctx);
        const quad = [
          { x: 0, y: 0 },
          { x: 4, y: 0 },
          { x: 4, y: 2 },
          { x: 0, y: 2 },
        ];
        const line = { text: "hi", quad, box: { x1: 0, y1: 0, x2: 4, y2: 2 }, confidence: 0.75 };
        return { results: req.images.map(() => ({ lines: [line], task: Task.OCR_WITH_REGION })) };
      },
      ocrImage() {
        throw new ConnectError("images[0]: cannot decode the image", Code.InvalidArgument);
      },
      async *streamFrames(requests) {
        for await (const r of requests) {
          seen.stream.push(r);
          if (r.message.case !== "frame") continue;
          const { frameId, timestampUs } = r.message.value;
          if (frameId === 1n)
            yield {
              frameId,
              timestampUs,
              task: Task.OCR,
              outcome: { case: "skipped", value: { reason: "superseded by frame 2", supersededBy: 2n } },
            };
          else if (frameId === 3n) {
            const fieldViolations = [{ field: "frame.image", description: "empty" }];
            yield {
              frameId,
              timestampUs,
              task: Task.OCR,
              outcome: {
                case: "error",
                value: { code: 3, message: "bad frame", reason: "invalid_image", fieldViolations },
              },
            };
          } else {
            const result = {
              result: {
                case: "text" as const,
                value: text(Task.OCR, describeImage(r.message.value.image ?? create(ImageSchema))),
              },
            };
            yield {
              frameId,
              timestampUs,
              task: Task.OCR,
              timings: { queueMs: 1, modelMs: 2, visionMs: 0.5 },
              outcome: { case: "result", value: result },
            };
          }
        }
      },
    });
    service(ModelService, {
      listModels() {
        return {
          models: [
            {
              id: "tiny",
              path: "/m",
              tasks: [Task.CAPTION, Task.OCR, 99 as Task],
              dtype: ModelDtype.FP16,
              executionProvider: ExecutionProvider.CPU,
            },
          ],
          limits: { readMaxBytes: 1n << 40n, maxImagesPerRequest: 16, maxNumBeams: 8 },
        };
      },
    });
  });
  return createFlorenceClientOnTransport(transport, {
    headers: { authorization: "Bearer client", "x-client": "1" },
    timeoutMs: 300_000,
    readFile: async (path) => new Uint8Array(path.length),
  });
}

describe("client over a router transport", () => {
  it("captionImage sends every image and the granularity, and returns one typed result per image", async () => {
    const seen: Seen = { stream: [] };
    const raw = { data: new Uint8Array(6), width: 2, height: 1, format: "rgb" } as const;
    const results = await makeClient(seen).captionImage([new Uint8Array(5), raw, "abc.png"], {
      granularity: "detailed",
      numBeams: 1,
    });
    expect(seen.request).toMatchObject({ granularity: CaptionGranularity.DETAILED, options: { numBeams: 1 } });
    expect(results.map((r) => r.text)).toEqual(["encoded 5", "raw 2x1", "encoded 7"]);
    expect(results[0]).toEqual({
      kind: "text",
      task: "caption",
      text: "encoded 5",
      confidence: 0.5,
      imageSize: { width: 8, height: 4 },
      rawText: "</s><s>encoded 5</s>",
      generatedTokens: 3,
    });
  });

  it("detectObjects sends classes and labels mode and converts boxes to {x1,y1,x2,y2}", async () => {
    const seen: Seen = { stream: [] };
    const [r] = await makeClient(seen).detectObjects(new Uint8Array(1), { classes: ["cat", "dog"] });
    expect(seen.request).toMatchObject({ classes: ["cat", "dog"], labelsMode: DetectionLabelsMode.CLASSES });
    expect(r?.kind).toBe("detections");
    expect(r?.task).toBe("phrase_grounding");
    expect(r?.detections).toEqual([
      { label: "cat", box: { x1: 0, y1: 1, x2: 10, y2: 11 }, confidence: 0.25 },
      { label: "dog", box: { x1: 1, y1: 1, x2: 10, y2: 11 }, confidence: 0.25 },
    ]);
  });

  it.each([
    ["a tuple", [1, 2, 3, 4] as const],
    ["a box", { x1: 1, y1: 2, x2: 3, y2: 4 }],
  ])("region methods accept %s", async (_, region) => {
    const [r] = await makeClient({ stream: [] }).classifyImageRegion(new Uint8Array(1), region);
    expect(r?.text).toBe("1,2,3,4");
    expect(r?.task).toBe("region_to_category");
  });

  it("run sends the task, text and region and returns the TaskResult union", async () => {
    const seen: Seen = { stream: [] };
    const results = await makeClient(seen).run("phrase_grounding", [new Uint8Array(1), new Uint8Array(2)], {
      text: "a dog",
    });
    expect(seen.request).toMatchObject({ task: Task.PHRASE_GROUNDING, text: "a dog" });
    expect(results.map((r) => [r.kind, r.task])).toEqual([
      ["text", "phrase_grounding"],
      ["text", "phrase_grounding"],
    ]);
  });

  it("parseDocument returns quads as four points", async () => {
    const [r] = await makeClient({ stream: [] }).parseDocument(new Uint8Array(1));
    expect(r?.lines[0]?.quad).toEqual([
      { x: 0, y: 0 },
      { x: 4, y: 0 },
      { x: 4, y: 2 },
      { x: 0, y: 2 },
    ]);
  });

  it("listModels converts enums to names, drops unknown tasks and bigints to numbers", async () => {
    const list = await makeClient({ stream: [] }).listModels();
    expect(list.models[0]).toMatchObject({
      id: "tiny",
      dtype: "fp16",
      executionProvider: "cpu",
      tasks: ["caption", "ocr"],
    });
    expect(list.limits).toMatchObject({
      readMaxBytes: 2 ** 40,
      maxImagesPerRequest: 16,
      maxNumBeams: 8,
      maxQueuedRequests: 0,
    });
  });

  it("merges client and call headers (call wins) and applies the client's default deadline", async () => {
    const seen: Seen = { stream: [] };
    await makeClient(seen).captionImage(new Uint8Array(1), { headers: { authorization: "Bearer call" } });
    expect(seen.headers?.get("authorization")).toBe("Bearer call");
    expect(seen.headers?.get("x-client")).toBe("1");
    expect(seen.timeoutMs).toBeGreaterThan(0);
    expect(seen.timeoutMs).toBeLessThanOrEqual(300_000);
  });

  it("passes server errors through as ConnectError with their code", async () => {
    const e = await makeClient({ stream: [] })
      .ocrImage(new Uint8Array(1))
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    expect((e as ConnectError).rawMessage).toBe("images[0]: cannot decode the image");
  });

  it("rejects bad input before calling the server", async () => {
    const seen: Seen = { stream: [] };
    const e = await makeClient(seen)
      .captionImage(new Uint8Array(1), { granularity: "short" as "normal" })
      .catch((err: unknown) => err);
    expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    expect(seen.request).toBeUndefined();
  });

  it("streamFrames sends the config first, numbers frames, and answers each frame in order", async () => {
    const seen: Seen = { stream: [] };
    async function* frames(): AsyncGenerator<FrameInput> {
      for (let i = 0; i < 4; i++) yield { image: new Uint8Array(i + 1), timestampUs: 1000 * i };
    }
    const answers = [];
    for await (const a of makeClient(seen).streamFrames(frames(), {
      task: { task: "ocr" },
      backpressure: "latest",
      maxInFlight: 2,
    }))
      answers.push(a);

    expect(seen.stream[0]?.message.case).toBe("config");
    expect(seen.stream[0]?.message.value).toMatchObject({ task: { task: Task.OCR }, backpressure: 2, maxInFlight: 2 });
    expect(seen.stream.slice(1).map((r) => (r.message.case === "frame" ? r.message.value.frameId : -1n))).toEqual([
      0n,
      1n,
      2n,
      3n,
    ]);
    expect(answers.map((a) => [a.frameId, a.timestampUs, a.kind])).toEqual([
      [0, 0, "result"],
      [1, 1000, "skipped"],
      [2, 2000, "result"],
      [3, 3000, "error"],
    ]);
    const [first, skipped, , failed] = answers;
    expect(first?.kind === "result" && first.result.kind === "text" && first.result.text).toBe("encoded 1");
    expect(first?.timings).toEqual({ queueMs: 1, modelMs: 2, visionMs: 0.5 });
    expect(skipped?.kind === "skipped" && skipped.supersededBy).toBe(2);
    expect(failed?.kind === "error" && failed.error).toEqual({
      code: 3,
      message: "bad frame",
      reason: "invalid_image",
      violations: [{ field: "frame.image", description: "empty" }],
    });
  });

  it("streamFrames gets no default deadline", async () => {
    const seen: Seen = { stream: [] };
    const transport = createRouterTransport(({ service }) => {
      service(FlorenceService, {
        async *streamFrames(requests, ctx) {
          seen.timeoutMs = ctx.timeoutMs();
          for await (const r of requests) {
            if (r.message.case === "frame")
              yield { frameId: r.message.value.frameId, outcome: { case: "skipped", value: {} } };
          }
        },
      });
    });
    const client = createFlorenceClientOnTransport(transport, {
      headers: undefined,
      timeoutMs: 1000,
      readFile: async () => new Uint8Array(),
    });
    const kinds = [];
    for await (const a of client.streamFrames([{ image: new Uint8Array(1) }], { task: { task: "caption" } }))
      kinds.push(a.kind);
    expect(kinds).toEqual(["skipped"]);
    expect(seen.timeoutMs).toBeUndefined();
  });

  it("streamFrames ends with the client-side INVALID_ARGUMENT when a frame cannot be converted", async () => {
    const frames = [
      { image: new Uint8Array(1) },
      { image: { data: new Uint8Array(3), width: 1, height: 1, format: "yuv" } as unknown as FrameInput["image"] },
    ];
    const kinds: string[] = [];
    const e = await (async () => {
      for await (const a of makeClient({ stream: [] }).streamFrames(frames, { task: { task: "ocr" } }))
        kinds.push(a.kind);
    })().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    expect((e as ConnectError).rawMessage).toMatch(/^frames\[1\]\.image\.format: unknown value "yuv"/);
  });
});
