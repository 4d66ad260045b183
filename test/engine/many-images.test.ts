/**
 * A call of many images on the in-thread engine (the code the worker runs): every image is
 * answered, and Node prints no MaxListenersExceededWarning, since each image waits on the call's
 * signal in the scheduler (a listener each, removed when it is answered), which is no leak.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlorenceEngine } from "../../models/engine.js";
import { makeEngineOptions } from "../../models/engine-options.js";
import { createLocalEngine } from "../../models/pipeline.js";

const MODEL = new URL("../fixtures/tiny", import.meta.url).pathname;
const IMAGE = new URL("../fixtures/images/tiny_12x9.png", import.meta.url);

let engine: FlorenceEngine;
beforeAll(async () => {
  engine = await createLocalEngine(makeEngineOptions({ model: MODEL }));
});
afterAll(async () => {
  await engine?.close();
});

describe("a call of 16 images", () => {
  it("answers each, without a listener-leak warning, with and without a caller's signal", async () => {
    const image = new Uint8Array(await readFile(IMAGE));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      for (const signal of [undefined, new AbortController().signal]) {
        const results = await engine.run({ task: "caption" }, Array(16).fill(image), {
          maxNewTokens: 2,
          numBeams: 1,
          ...(signal === undefined ? {} : { signal }),
        });
        expect(results).toHaveLength(16);
      }
      // Node emits warnings on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
  });
});
