/**
 * Images prepared off the inference worker (EngineOptions.preprocessWorkers) through the worker
 * engine on the tiny fixture: every kind of call answers exactly what it answers when the inference
 * worker decodes its own images, per-image failures included; and a preprocessing thread that dies
 * costs at most the calls it held: the engine keeps serving with a new thread.
 */
import { readFile } from "node:fs/promises";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlorenceEngine } from "../../models/engine.js";
import { makeEngineOptions } from "../../models/engine-options.js";
import type { ImageInput } from "../../models/inputs.js";
import { spawnPreprocessThread } from "../../models/worker/supervision.js";
import { createWorkerEngine } from "../../models/worker/worker-host.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGES = new URL("../fixtures/images/", import.meta.url);
const SHORT = { maxNewTokens: 4, numBeams: 1 };

const engines: FlorenceEngine[] = [];
const spawned: Worker[] = [];
let coffee: Uint8Array;
let rocket: Uint8Array;
const corrupt = Uint8Array.of(0xff, 0xd8, 0xff, 0, 1, 2);
const raw: ImageInput = {
  kind: "raw",
  format: "rgb",
  width: 5,
  height: 4,
  data: new Uint8Array(60).map((_, i) => (i * 41) & 255),
};

async function engine(preprocessWorkers: number): Promise<FlorenceEngine> {
  const { onDownloadProgress: _progress, ...options } = makeEngineOptions({
    model: MODEL,
    preprocessWorkers,
    visionCacheBytes: 0,
  });
  const created = await createWorkerEngine({ options: { ...options, modelId: MODEL } }, 1, {
    spawnPreprocess: () => {
      const thread = spawnPreprocessThread();
      spawned.push(thread);
      return thread;
    },
  });
  engines.push(created);
  return created;
}

let offWorker: FlorenceEngine;
let onWorker: FlorenceEngine;

beforeAll(async () => {
  coffee = await readFile(new URL("coffee.jpg", IMAGES));
  rocket = await readFile(new URL("rocket_exif6.jpg", IMAGES));
  [offWorker, onWorker] = await Promise.all([engine(1), engine(0)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

/** What a call answered, or the error it failed with, as plain data. */
async function answer(call: (e: FlorenceEngine) => Promise<unknown>, e: FlorenceEngine): Promise<unknown> {
  try {
    return { ok: JSON.parse(JSON.stringify(await call(e))) };
  } catch (error) {
    const { kind, message } = error as { kind: string; message: string };
    return { failed: { kind, message } };
  }
}

describe("images prepared off the inference worker", () => {
  it.each<[string, (e: FlorenceEngine) => Promise<unknown>]>([
    ["run on two images", (e) => e.run({ task: "caption" }, [coffee, rocket], SHORT)],
    ["run on raw pixels", (e) => e.run({ task: "object_detection" }, [raw], SHORT)],
    ["run with a corrupt image fails the call", (e) => e.run({ task: "caption" }, [coffee, corrupt], SHORT)],
    [
      "runEach keeps the corrupt image's failure alone",
      (e) => e.runEach({ task: "caption" }, [corrupt, rocket], SHORT),
    ],
    [
      "runEach with a region outside one image",
      (e) => e.runEach({ task: "region_to_description", region: [0, 0, 10, 10] }, [raw, coffee], SHORT),
    ],
    ["runTasks on one image", (e) => e.runTasks([{ task: "caption" }, { task: "ocr" }], coffee, SHORT)],
    ["a bad argument fails before any image is used", (e) => e.run({ task: "caption" }, [coffee], { numBeams: 0 })],
  ])(
    "%s: the same answer as on the inference worker",
    async (_name, call) => {
      const [off, on] = await Promise.all([answer(call, offWorker), answer(call, onWorker)]);
      expect(off).toEqual(on);
    },
    60_000,
  );

  it("uses its preprocessing thread, and replaces one that died", async () => {
    await offWorker.run({ task: "caption" }, [coffee], SHORT);
    expect(spawned).toHaveLength(1);
    await spawned[0]!.terminate();
    // The next call may meet the dead thread (it fails with internal) or a new one; either way it
    // is answered, and the call after it is served by a new thread.
    await offWorker.run({ task: "caption" }, [coffee], SHORT).catch((e: unknown) => {
      expect(e).toMatchObject({ kind: "internal", message: expect.stringMatching(/preprocessing thread stopped/) });
    });
    const results = await offWorker.run({ task: "caption" }, [rocket], SHORT);
    expect(results).toHaveLength(1);
    expect(spawned).toHaveLength(2);
  }, 60_000);
});
