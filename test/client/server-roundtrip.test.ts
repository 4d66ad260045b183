/**
 * The client against the real server (createFlorenceServer on a free port of 127.0.0.1) with the
 * fake engine, once per wire protocol: every method must return exactly what the engine produced
 * (the fake's numbers are float32-exact, so toEqual holds through the proto's float fields),
 * streamFrames must round-trip, and errors must arrive as ConnectError with the mapped Code.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFlorenceClient as createBrowserClient } from "../../client/browser.js";
import {
  Code,
  ConnectError,
  createFlorenceClient,
  type FlorenceClient,
  type FrameAnswer,
  type NodeClientInit,
} from "../../client/index.js";
import type { TaskRequest } from "../../models/engine.js";
import { FlorenceError } from "../../models/errors.js";
import { openVocabularyToDetections } from "../../models/florence.js";
import type { ImageSize, TaskResult } from "../../models/results.js";
import { createFlorenceServer, type FlorenceServer, silentLogger } from "../../server/index.js";
import { FAKE_MODEL_INFO, FakeEngine, fakeResult } from "../support/fake-engine.js";

const PNG_PATH = fileURLToPath(new URL("../fixtures/images/tiny_12x9.png", import.meta.url));
const PNG_SIZE: ImageSize = { width: 12, height: 9 };
const RAW = { data: new Uint8Array(4 * 3 * 3).fill(200), width: 4, height: 3, format: "rgb" } as const;
const RAW_SIZE: ImageSize = { width: 4, height: 3 };

const engine = new FakeEngine({ otherEncoded: "reject" });
let server: FlorenceServer;
let baseUrl = "";
let png: Uint8Array;

beforeAll(async () => {
  png = await readFile(PNG_PATH);
  server = createFlorenceServer({ engine, port: 0, logger: silentLogger, shutdownGraceMs: 1000 });
  baseUrl = (await server.listen()).url;
  await server.ready;
});

afterAll(async () => {
  await server.close({ graceMs: 100 });
});

beforeEach(() => {
  engine.nextError = undefined;
  engine.delayMs = 0;
});

/** What the fake engine answers for `request` on [the PNG (read from its path), the raw frame]. */
function expected(request: TaskRequest): unknown[] {
  return [fakeResult(request, PNG_SIZE, 0), fakeResult(request, RAW_SIZE, 1)];
}

/** The optional fourth element maps the engine's result to what the method returns. */
/** detectObjects with classes: open-vocabulary answers folded into detections, as the engine's API does. */
function asDetections(r: TaskResult): unknown {
  if (r.kind !== "open_vocabulary") throw new Error(`expected an open_vocabulary result, got ${r.kind}`);
  return openVocabularyToDetections(r);
}

type MethodCase = readonly [string, (c: FlorenceClient) => Promise<unknown[]>, TaskRequest];
const images = [PNG_PATH, RAW];
const METHODS: readonly MethodCase[] = [
  ["captionImage", (c) => c.captionImage(images), { task: "caption" }],
  [
    "captionImage very_detailed",
    (c) => c.captionImage(images, { granularity: "very_detailed" }),
    { task: "more_detailed_caption" },
  ],
  ["detectObjects", (c) => c.detectObjects(images), { task: "object_detection" }],
  [
    "detectObjects captions",
    (c) => c.detectObjects(images, { labelsMode: "captions" }),
    { task: "dense_region_caption" },
  ],
  ["detectObjects rois", (c) => c.detectObjects(images, { labelsMode: "rois" }), { task: "region_proposal" }],
  [
    "detectObjects classes",
    (c) => c.detectObjects(images, { classes: ["cat", " red car "] }),
    { task: "open_vocabulary_detection", text: "cat<and>red car" },
  ],
  ["ocrImage", (c) => c.ocrImage(images), { task: "ocr" }],
  ["parseDocument", (c) => c.parseDocument(images), { task: "ocr_with_region" }],
  ["groundPhrase", (c) => c.groundPhrase(images, "a dog"), { task: "phrase_grounding", text: "a dog" }],
  [
    "segmentPhrase",
    (c) => c.segmentPhrase(images, "the dog"),
    { task: "referring_expression_segmentation", text: "the dog" },
  ],
  [
    "segmentRegion",
    (c) => c.segmentRegion(images, [1, 1, 3, 2]),
    { task: "region_to_segmentation", region: [1, 1, 3, 2] },
  ],
  [
    "classifyImageRegion",
    (c) => c.classifyImageRegion(images, { x1: 0, y1: 0, x2: 2, y2: 2 }),
    { task: "region_to_category", region: [0, 0, 2, 2] },
  ],
  [
    "captionImageRegion",
    (c) => c.captionImageRegion(images, [0.5, 0.5, 3.5, 2.5]),
    { task: "region_to_description", region: [0.5, 0.5, 3.5, 2.5] },
  ],
  ["ocrImageRegion", (c) => c.ocrImageRegion(images, [1, 0, 4, 3]), { task: "region_to_ocr", region: [1, 0, 4, 3] }],
  [
    "run open_vocabulary_detection",
    (c) => c.run("open_vocabulary_detection", images, { text: "cat" }),
    { task: "open_vocabulary_detection", text: "cat" },
  ],
  [
    "run region_to_segmentation",
    (c) => c.run("region_to_segmentation", images, { region: [0, 0, 1, 1] }),
    { task: "region_to_segmentation", region: [0, 0, 1, 1] },
  ],
];

/** Methods whose results are not the engine's results as they are. */
const RESULT_MAPS: Readonly<Record<string, (r: TaskResult) => unknown>> = { "detectObjects classes": asDetections };

const PROTOCOLS: ReadonlyArray<readonly [string, Omit<NodeClientInit, "baseUrl">]> = [
  ["grpc", { protocol: "grpc" }],
  ["grpc-web over HTTP/2", { protocol: "grpc-web" }],
  ["connect over HTTP/2", { protocol: "connect" }],
  ["grpc-web over HTTP/1.1", { protocol: "grpc-web", httpVersion: "1.1" }],
  ["connect over HTTP/1.1", { protocol: "connect", httpVersion: "1.1" }],
];

async function errorOf(call: Promise<unknown>): Promise<ConnectError> {
  const e = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConnectError);
  return e as ConnectError;
}

async function collect(answers: AsyncIterable<FrameAnswer>): Promise<FrameAnswer[]> {
  const out: FrameAnswer[] = [];
  for await (const a of answers) out.push(a);
  return out;
}

describe.each(PROTOCOLS)("client over %s", (_, transportOptions) => {
  // Retries off: the mapped-code cases below must see the first answer (a loading engine is
  // UNAVAILABLE, which the default retry policy would repeat; see the retry test below).
  const client = () => createFlorenceClient({ baseUrl, ...transportOptions, retry: false });

  it("by default retries a call answered UNAVAILABLE and returns the next answer", async () => {
    engine.nextError = new FlorenceError("unavailable", "loading");
    const retried = createFlorenceClient({
      baseUrl,
      ...transportOptions,
      retry: { initialBackoffMs: 1, maxBackoffMs: 2 },
    });
    const [caption] = await retried.captionImage(png);
    expect(caption?.kind).toBe("text");
  });

  it.each(METHODS)("%s returns the engine's results, one per image, in order", async (name, call, request) => {
    const results = await call(client());
    const map = RESULT_MAPS[name];
    expect(results).toEqual(map === undefined ? expected(request) : (expected(request) as TaskResult[]).map(map));
    expect(engine.calls.at(-1)?.requests).toEqual([request]);
  });

  it("a bad image of several fails alone: its result carries only the task and a typed error", async () => {
    const bad = new TextEncoder().encode("BAD image");
    const results = await client().captionImage([png, bad, RAW]);
    expect(results).toEqual([
      fakeResult({ task: "caption" }, PNG_SIZE, 0),
      {
        kind: "text",
        task: "caption",
        imageSize: { width: 0, height: 0 },
        rawText: "",
        generatedTokens: 0,
        text: "",
        confidence: 0,
        error: {
          code: Code.InvalidArgument,
          message: expect.stringMatching(/^images\[1\]: the image bytes are not/),
          reason: "invalid_image",
          violations: [{ field: "images[1]", description: expect.any(String) }],
        },
      },
      fakeResult({ task: "caption" }, RAW_SIZE, 2),
    ]);
    expect(engine.calls.at(-1)?.method).toBe("runEach");
    // Run answers the failed image in its task's result case, with the error.
    const run = await client().run("object_detection", [bad, png]);
    expect(run[0]).toMatchObject({ kind: "detections", detections: [], error: { reason: "invalid_image" } });
    expect(run[1]).toEqual(fakeResult({ task: "object_detection" }, PNG_SIZE, 1));
  });

  it("runTasks returns one result per task on the one image", async () => {
    const tasks: TaskRequest[] = [
      { task: "caption" },
      { task: "ocr_with_region" },
      { task: "region_to_category", region: [1, 1, 5, 5] },
    ];
    const results = await client().runTasks(png, tasks);
    expect(results).toEqual(tasks.map((t) => fakeResult(t, PNG_SIZE, 0)));
  });

  it("passes generation options through to the engine", async () => {
    await client().ocrImage(png, {
      numBeams: 2,
      maxNewTokens: 7,
      earlyStopping: false,
      noRepeatNgramSize: 0,
      lengthPenalty: 0.5,
    });
    expect(engine.calls.at(-1)?.options).toMatchObject({
      numBeams: 2,
      maxNewTokens: 7,
      earlyStopping: false,
      noRepeatNgramSize: 0,
      lengthPenalty: 0.5,
    });
  });

  it("listModels reports the engine's model info", async () => {
    const { models, limits } = await client().listModels();
    // The server names its model but never says where it lives on disk: path stays empty.
    // Every engine reports its counters now (stats() is required); the fake's are all zero.
    const counters = [
      "batches",
      "batchedItems",
      "largestBatch",
      "queuedItems",
      "decoderSteps",
      "decoderRows",
      "visionImages",
    ];
    const cache = [
      "visionCacheHits",
      "visionCacheMisses",
      "visionCacheEvictions",
      "visionCacheBytes",
      "visionCacheMaxBytes",
    ];
    const stats = Object.fromEntries([...counters, ...cache].map((name) => [name, 0]));
    expect(models).toEqual([{ ...FAKE_MODEL_INFO, path: "", tasks: [...FAKE_MODEL_INFO.tasks], stats }]);
    expect(limits.maxImagesPerRequest).toBe(server.options.maxImagesPerRequest);
    expect(limits.readMaxBytes).toBe(server.options.readMaxBytes);
  });

  it.each<readonly [string, (c: FlorenceClient) => Promise<unknown>, () => void, Code]>([
    [
      "bytes the engine cannot decode",
      (c) => c.captionImage(new Uint8Array([1, 2, 3])),
      () => {},
      Code.InvalidArgument,
    ],
    ["no images", (c) => c.captionImage([]), () => {}, Code.InvalidArgument],
    ["an inverted region", (c) => c.segmentRegion(png, [5, 5, 1, 1]), () => {}, Code.InvalidArgument],
    ["a blank phrase", (c) => c.groundPhrase(png, "   "), () => {}, Code.InvalidArgument],
    [
      "a full engine queue",
      (c) => c.ocrImage(png),
      () => (engine.nextError = new FlorenceError("queue_full", "full")),
      Code.ResourceExhausted,
    ],
    [
      "an engine that is loading",
      (c) => c.ocrImage(png),
      () => (engine.nextError = new FlorenceError("unavailable", "loading")),
      Code.Unavailable,
    ],
    [
      "an engine bug",
      (c) => c.ocrImage(png),
      () => (engine.nextError = new FlorenceError("internal", "bug")),
      Code.Internal,
    ],
  ])("%s fails with a ConnectError of the mapped code", async (_name, call, arrange, code) => {
    arrange();
    const e = await errorOf(call(client()));
    expect(Code[e.code]).toBe(Code[code]);
    expect(e.rawMessage.length).toBeGreaterThan(0);
  });

  it("a missing file path fails on the client with INVALID_ARGUMENT naming the image", async () => {
    const e = await errorOf(client().captionImage([png, "/nonexistent/x.png"]));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(/^images\[1\]: cannot read image file/);
  });

  it("an aborted signal cancels the call", async () => {
    engine.delayMs = 10_000;
    const abort = new AbortController();
    const call = client().captionImage(png, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    expect((await errorOf(call)).code).toBe(Code.Canceled);
  });

  it("timeoutMs sets a deadline", async () => {
    engine.delayMs = 10_000;
    expect((await errorOf(client().captionImage(png, { timeoutMs: 100 }))).code).toBe(Code.DeadlineExceeded);
  });
});

describe.each(PROTOCOLS.slice(0, 3))("streamFrames over %s", (_, transportOptions) => {
  const client = () => createFlorenceClient({ baseUrl, ...transportOptions });

  it("answers every frame in order: results, a per-frame error, and a task switch", async () => {
    async function* frames() {
      yield { image: png, timestampUs: 10 };
      yield { image: RAW, timestampUs: 20 };
      yield { image: new Uint8Array(0), timestampUs: 30 };
      yield {
        image: PNG_PATH,
        timestampUs: 40,
        task: { task: "region_to_category" as const, region: [1, 1, 4, 4] as const },
      };
    }
    const answers = await collect(
      client().streamFrames(frames(), { task: { task: "caption" }, options: { numBeams: 1 } }),
    );

    expect(answers.map((a) => [a.frameId, a.timestampUs, a.kind])).toEqual([
      [0, 10, "result"],
      [1, 20, "result"],
      [2, 30, "error"],
      [3, 40, "result"],
    ]);
    const results = answers.map((a) => (a.kind === "result" ? a.result : undefined));
    const switched: TaskRequest = { task: "region_to_category", region: [1, 1, 4, 4] };
    expect(results).toEqual([
      fakeResult({ task: "caption" }, PNG_SIZE, 0),
      fakeResult({ task: "caption" }, RAW_SIZE, 0),
      undefined,
      fakeResult(switched, PNG_SIZE, 0),
    ]);
    const failed = answers[2];
    expect(failed?.kind === "error" && failed.error.code).toBe(Code.InvalidArgument);
    expect(answers[3]?.task).toBe("region_to_category");
  });

  it("a frame the client cannot read ends the stream with the client's INVALID_ARGUMENT", async () => {
    const answers = client().streamFrames([{ image: png }, { image: "/nonexistent/frame.png" }], {
      task: { task: "caption" },
    });
    const e = await errorOf(collect(answers));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(/^frames\[1\]\.image: cannot read image file/);
  });

  it("a stream without a valid config ends with a ConnectError", async () => {
    const bad = client().streamFrames([{ image: png }], { task: { task: "phrase_grounding", text: " " } });
    expect((await errorOf(collect(bad))).code).toBe(Code.InvalidArgument);
  });
});

describe.each(PROTOCOLS.slice(3))("streamFrames over %s", (_, transportOptions) => {
  it("fails at once with UNIMPLEMENTED saying it needs HTTP/2, sending nothing", async () => {
    const before = engine.calls.length;
    const answers = createFlorenceClient({ baseUrl, ...transportOptions }).streamFrames([{ image: png }], {
      task: { task: "caption" },
    });
    const e = await errorOf(collect(answers));
    expect(e.code).toBe(Code.Unimplemented);
    expect(e.rawMessage).toMatch(/HTTP\/2/);
    expect(engine.calls.length).toBe(before);
  });
});

// The browser entry uses connect-web, i.e. fetch; Node's own fetch (HTTP/1.1) stands in for a browser's.
describe.each(["grpc-web", "connect"] as const)("browser entry over %s (fetch)", (protocol) => {
  const client = () => createBrowserClient({ baseUrl, protocol });

  it("returns the engine's results", async () => {
    expect(await client().captionImage([png, RAW])).toEqual(expected({ task: "caption" }));
  });

  it("refuses file paths with INVALID_ARGUMENT", async () => {
    const e = await errorOf(client().captionImage(PNG_PATH));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toMatch(/file paths work in Node only/);
  });

  it("reports that streamFrames is not available in browsers", async () => {
    const e = await errorOf(collect(client().streamFrames([{ image: png }], { task: { task: "caption" } })));
    expect(e.code).toBe(Code.Unimplemented);
  });
});
