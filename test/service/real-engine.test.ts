/**
 * The service end to end on the real engine (tiny random-weight fixture, worker thread): every
 * RPC, through the typed client over gRPC, gRPC-Web and Connect, returns what the engine's
 * high-level API returns for the same inputs (coordinates and confidences travel as float32).
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlorenceClient, type FlorenceClient, type Timings } from "../../client/index.js";
import { createFlorence, type Florence } from "../../models/index.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);
const options = { maxNewTokens: 16, numBeams: 1 } as const;
const region = [30, 40, 400, 300] as const;

let florence: Florence;
let server: FlorenceServer;
let url: string;
let coffee: Uint8Array;
let gray: Uint8Array;

beforeAll(async () => {
  florence = await createFlorence({ model: MODEL });
  server = createFlorenceServer({ engine: florence, port: 0, logger: silentLogger });
  url = (await server.listen()).url;
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
  gray = await readFile(new URL("camera_gray.png", IMAGES));
});

afterAll(async () => {
  await server?.close({ graceMs: 1000 });
});

/** Rounds every number to float32, the precision of the proto's coordinates and confidences. */
function asFloat32<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Math.fround(v) : v)),
  ) as T;
}

/** The proto carries every field; plain results are compared field by field after float32 rounding. */
function same(actual: unknown, expected: unknown): void {
  expect(asFloat32(actual)).toEqual(asFloat32(expected));
}

describe.each([
  ["grpc", { protocol: "grpc" }],
  ["grpc-web over HTTP/1.1", { protocol: "grpc-web", httpVersion: "1.1" }],
  ["connect over HTTP/1.1", { protocol: "connect", httpVersion: "1.1" }],
] as const)("%s", (_name, transport) => {
  let client: FlorenceClient;
  beforeAll(() => {
    client = createFlorenceClient({ baseUrl: url, ...transport });
  });

  it("CaptionImage (two images, each granularity)", async () => {
    same(await client.captionImage([coffee, gray], options), await florence.captionImage([coffee, gray], options));
    same(
      await client.captionImage(coffee, { ...options, granularity: "very_detailed" }),
      await florence.captionImage(coffee, { ...options, granularity: "very_detailed" }),
    );
  });

  it("DetectObjects (labels modes and classes)", async () => {
    for (const labelsMode of ["classes", "captions", "rois"] as const) {
      same(
        await client.detectObjects(coffee, { ...options, labelsMode }),
        await florence.detectObjects(coffee, { ...options, labelsMode }),
      );
    }
    same(
      await client.detectObjects(coffee, { ...options, classes: ["cup", "plate"] }),
      await florence.detectObjects(coffee, { ...options, classes: ["cup", "plate"] }),
    );
  });

  it("OcrImage, ParseDocument", async () => {
    same(await client.ocrImage(coffee, options), await florence.ocrImage(coffee, options));
    same(await client.parseDocument(coffee, options), await florence.parseDocument(coffee, options));
  });

  it("GroundPhrase, SegmentPhrase", async () => {
    same(
      await client.groundPhrase(coffee, "a cup of coffee", options),
      await florence.groundPhrase(coffee, "a cup of coffee", options),
    );
    same(
      await client.segmentPhrase(coffee, "the cup", options),
      await florence.segmentPhrase(coffee, "the cup", options),
    );
  });

  it("SegmentRegion, ClassifyImageRegion, CaptionImageRegion, OcrImageRegion", async () => {
    same(await client.segmentRegion(coffee, region, options), await florence.segmentRegion(coffee, region, options));
    same(
      await client.classifyImageRegion(coffee, region, options),
      await florence.classifyImageRegion(coffee, region, options),
    );
    same(
      await client.captionImageRegion(coffee, region, options),
      await florence.captionImageRegion(coffee, region, options),
    );
    same(await client.ocrImageRegion(coffee, region, options), await florence.ocrImageRegion(coffee, region, options));
  });

  it("Run and RunTasks (beam search)", async () => {
    const beam = { maxNewTokens: 12, numBeams: 3 } as const;
    same(
      await client.run("open_vocabulary_detection", [coffee], { ...beam, text: "a cup" }),
      await florence.run({ task: "open_vocabulary_detection", text: "a cup" }, [coffee], beam),
    );
    const tasks = [{ task: "caption" }, { task: "object_detection" }, { task: "ocr" }] as const;
    same(await client.runTasks(coffee, tasks, beam), await florence.runTasks(tasks, coffee, beam));
  });

  it("a bad image of several fails alone; the others are answered as if alone", async () => {
    const greedy = { maxNewTokens: 4, numBeams: 1 } as const;
    const garbage = new TextEncoder().encode("not an image at all");
    const [first, bad, third] = await client.captionImage([gray, garbage, coffee], greedy);
    same(first, (await florence.captionImage(gray, greedy))[0]);
    same(third, (await florence.captionImage(coffee, greedy))[0]);
    expect(first?.error).toBeUndefined();
    expect(bad).toMatchObject({ kind: "text", task: "caption", text: "", error: { code: 3, reason: "invalid_image" } });
    expect(bad?.error?.violations).toEqual([{ field: "images[1]", description: expect.any(String) }]);
    // A region outside one image (Run, region task): that image alone fails with invalid_region.
    const small = { kind: "raw", format: "gray", width: 8, height: 8, data: new Uint8Array(64) } as const;
    const [inside, outside] = await client.run("region_to_category", [coffee, small], { ...greedy, region });
    same(inside, (await florence.classifyImageRegion(coffee, region, greedy))[0]);
    expect(outside).toMatchObject({ kind: "text", error: { code: 3, reason: "invalid_region" } });
    // One image: its failure is still the call's status.
    await expect(client.captionImage(garbage, greedy)).rejects.toMatchObject({ code: 3 });
  });

  it("hands the engine's stage timings to onTimings", async () => {
    const seen: Timings[] = [];
    await client.runTasks(gray, [{ task: "caption" }, { task: "ocr" }], { ...options, onTimings: (t) => seen.push(t) });
    expect(seen).toHaveLength(1);
    expectEngineStages(seen[0]!);
  });
});

const ENGINE_STAGES = ["engineQueueMs", "preprocessMs", "visionMs", "encoderMs", "decoderMs", "postprocessMs"] as const;

/** Every engine stage is reported, none is negative, and together they fit in the engine call. */
function expectEngineStages(t: Timings): void {
  for (const f of ENGINE_STAGES) expect(t[f], f).toBeGreaterThanOrEqual(0);
  expect(t.decoderMs).toBeGreaterThan(0);
  const stages = ENGINE_STAGES.reduce((sum, f) => sum + (t[f] ?? 0), 0);
  expect(stages).toBeLessThanOrEqual(t.modelMs + 1);
}

describe("StreamFrames over gRPC", () => {
  it("every frame's answer carries its engine stage timings", async () => {
    const client = createFlorenceClient({ baseUrl: url, protocol: "grpc" });
    const frames = [coffee, gray, coffee].map((image, frameId) => ({ image, frameId }));
    const answers = [];
    for await (const answer of client.streamFrames(frames, {
      task: { task: "caption" },
      options,
      backpressure: "queue",
      maxInFlight: 3,
    }))
      answers.push(answer);
    expect(answers.map((a) => [a.frameId, a.kind]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [0, "result"],
      [1, "result"],
      [2, "result"],
    ]);
    for (const a of answers) expectEngineStages(a.timings);
  });
});
