/**
 * Every unary RPC against a real server (127.0.0.1, port 0) with the fake engine, over gRPC,
 * gRPC-Web and Connect, on HTTP/2 and HTTP/1.1: the right task reaches the engine, each image gets
 * its own result in order, and the typed results survive the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaptionGranularity, DetectionLabelsMode, FlorenceService } from "../../gen/florence/v1/florence_service_pb.js";
import { ExecutionProvider, ModelDtype, ModelService } from "../../gen/florence/v1/model_service_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import type { TestServer } from "./harness.js";
import { client, encodedImage, rawImage, startTestServer, TRANSPORTS } from "./harness.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  await t.server.ready;
});
afterAll(() => t.server.close({ graceMs: 1000 }));

const region = { x1: 1, y1: 2, x2: 3, y2: 4 };

describe.each(TRANSPORTS)("over %s", (transport) => {
  it("CaptionImage answers one caption per image, in order, with timings", async () => {
    const c = client(FlorenceService, t.url, transport);
    const before = t.engine.calls.length;
    const r = await c.captionImage({
      images: [rawImage(4, 3), encodedImage(10), rawImage(1, 2)],
      granularity: CaptionGranularity.VERY_DETAILED,
    });
    expect(r.results.map((x) => x.text)).toEqual([
      "more_detailed_caption:more_detailed_caption:4x3",
      "more_detailed_caption:more_detailed_caption:10x1",
      "more_detailed_caption:more_detailed_caption:1x2",
    ]);
    expect(r.results[0]?.task).toBe(Task.MORE_DETAILED_CAPTION);
    expect(r.results[0]?.imageSize).toMatchObject({ width: 4, height: 3 });
    expect(r.timings?.modelMs).toBeGreaterThanOrEqual(0);
    expect(t.engine.calls.length).toBe(before + 1); // all images in ONE engine call
    expect(t.engine.calls.at(-1)?.images).toBe(3);
  });

  it("SegmentRegion returns polygons, box and RLE mask in pixels", async () => {
    const c = client(FlorenceService, t.url, transport);
    const r = await c.segmentRegion({ images: [rawImage(8, 6)], region });
    const instance = r.results[0]?.instances[0];
    expect(instance?.box).toMatchObject(region);
    expect(instance?.polygons[0]?.points).toHaveLength(4);
    expect(instance?.mask).toMatchObject({ height: 6, width: 8, counts: [0, 48] });
  });

  it("ListModels reports the model and the limits", async () => {
    const c = client(ModelService, t.url, transport);
    const r = await c.listModels({});
    expect(r.models[0]).toMatchObject({
      id: "fake/florence-2",
      dtype: ModelDtype.FP32,
      executionProvider: ExecutionProvider.CPU,
    });
    expect(r.models[0]?.tasks).toHaveLength(15);
    expect(r.limits?.readMaxBytes).toBe(BigInt(t.server.options.readMaxBytes));
    expect(r.limits?.maxImagesPerRequest).toBe(t.server.options.maxImagesPerRequest);
  });
});

describe("each high-level RPC runs its Florence-2 task", () => {
  const c = () => client(FlorenceService, t.url);
  const lastRequest = () => t.engine.calls.at(-1)?.requests[0];
  const images = [rawImage(2, 2)];

  it.each([
    ["captionImage default", () => c().captionImage({ images }), { task: "caption" }],
    [
      "captionImage detailed",
      () => c().captionImage({ images, granularity: CaptionGranularity.DETAILED }),
      { task: "detailed_caption" },
    ],
    ["detectObjects default", () => c().detectObjects({ images }), { task: "object_detection" }],
    [
      "detectObjects captions",
      () => c().detectObjects({ images, labelsMode: DetectionLabelsMode.CAPTIONS }),
      { task: "dense_region_caption" },
    ],
    [
      "detectObjects rois",
      () => c().detectObjects({ images, labelsMode: DetectionLabelsMode.ROIS }),
      { task: "region_proposal" },
    ],
    [
      "detectObjects classes",
      () => c().detectObjects({ images, classes: ["cat", " red car "] }),
      { task: "open_vocabulary_detection", text: "cat<and>red car" },
    ],
    ["ocrImage", () => c().ocrImage({ images }), { task: "ocr" }],
    ["parseDocument", () => c().parseDocument({ images }), { task: "ocr_with_region" }],
    ["groundPhrase", () => c().groundPhrase({ images, phrase: "a dog" }), { task: "phrase_grounding", text: "a dog" }],
    [
      "segmentPhrase",
      () => c().segmentPhrase({ images, phrase: "the dog" }),
      { task: "referring_expression_segmentation", text: "the dog" },
    ],
    [
      "segmentRegion",
      () => c().segmentRegion({ images, region }),
      { task: "region_to_segmentation", region: [1, 2, 3, 4] },
    ],
    [
      "classifyImageRegion",
      () => c().classifyImageRegion({ images, region }),
      { task: "region_to_category", region: [1, 2, 3, 4] },
    ],
    [
      "captionImageRegion",
      () => c().captionImageRegion({ images, region }),
      { task: "region_to_description", region: [1, 2, 3, 4] },
    ],
    ["ocrImageRegion", () => c().ocrImageRegion({ images, region }), { task: "region_to_ocr", region: [1, 2, 3, 4] }],
    [
      "run",
      () => c().run({ task: Task.OPEN_VOCABULARY_DETECTION, text: "a cup", images }),
      { task: "open_vocabulary_detection", text: "a cup" },
    ],
  ])("%s", async (_name, call, expected) => {
    const response = await call();
    expect(lastRequest()).toEqual(expected);
    expect(response.results).toHaveLength(1);
  });

  it("detectObjects with classes folds open-vocabulary polygon instances into detections with their box", async () => {
    const r = await c().detectObjects({ images: [rawImage(10, 5)], classes: ["cup"] });
    const detections = r.results[0]?.detections ?? [];
    // The fake engine answers one box and one polygon instance: both become detections.
    expect(detections.map((d) => [d.label, d.confidence])).toEqual([
      ["cup", 0.25],
      ["cup", 0.5],
    ]);
  });

  it("engine calls carry the client connection as their fairness lane", async () => {
    const one = c();
    await one.ocrImage({ images });
    await one.ocrImage({ images });
    const [a, b] = t.engine.calls.slice(-2).map((call) => call.options?.lane);
    expect(a).toMatch(/^conn:.+:\d+$/);
    expect(b).toBe(a);
  });

  it("parseDocument answers OCR lines with quads", async () => {
    const r = await c().parseDocument({ images: [rawImage(10, 5)] });
    expect(r.results[0]?.lines[0]?.quad).toHaveLength(4);
  });

  it("run answers the oneof case the task implies", async () => {
    const r = await c().run({ task: Task.OPEN_VOCABULARY_DETECTION, text: "a cup", images: [rawImage(3, 3)] });
    expect(r.results[0]?.result.case).toBe("openVocabulary");
  });

  it("runTasks runs several tasks on one image in one engine call, one result per task", async () => {
    const before = t.engine.calls.length;
    const r = await c().runTasks({
      image: rawImage(6, 4),
      tasks: [
        { task: Task.CAPTION },
        { task: Task.PHRASE_GROUNDING, text: "a cat" },
        { task: Task.REGION_TO_CATEGORY, region },
      ],
    });
    expect(t.engine.calls.length).toBe(before + 1);
    expect(t.engine.calls.at(-1)?.method).toBe("runTasks");
    expect(r.results.map((x) => x.result.case)).toEqual(["text", "detections", "text"]);
    expect(r.results[2]?.result.value).toMatchObject({
      task: Task.REGION_TO_CATEGORY,
      text: "region_to_category:region_to_category:6x4",
    });
  });

  it("passes generation options and the call's signal to the engine", async () => {
    await c().ocrImage({ images, options: { numBeams: 1, maxNewTokens: 20, noRepeatNgramSize: 0 } });
    const call = t.engine.calls.at(-1);
    expect(call?.options).toMatchObject({ numBeams: 1, maxNewTokens: 20, noRepeatNgramSize: 0 });
    expect(call?.signal).toBeInstanceOf(AbortSignal);
  });

  it("writes one JSON-able log entry per request", async () => {
    const before = t.logs.length;
    await c().groundPhrase({ images: [encodedImage(33)], phrase: "x" });
    const entry = t.logs.slice(before).find((e) => e.msg === "request");
    expect(entry).toMatchObject({
      method: "florence.v1.FlorenceService/GroundPhrase",
      protocol: "grpc",
      task: "phrase_grounding",
      images: 1,
      bytes: 33,
      code: "ok",
    });
    expect(() => JSON.stringify(entry)).not.toThrow();
  });
});
