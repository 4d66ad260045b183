/** The per-call stages without a model: validation, images, prompts, decode requests, results. */
import { describe, expect, it } from "vitest";
import { findTask, type TaskSpec } from "../../core/tasks.js";
import type { PreparedImage } from "../image/index.js";
import type { RawImage } from "../inputs.js";
import { decodeRequest, instrumented, type PassCounters, searchDefaults } from "./decode.js";
import { FlorenceError, type FlorenceErrorKind } from "../errors.js";
import { prepareImageOutcomes, settleImages } from "./images.js";
import { describeModel, FALLBACK_IMAGE_TOKENS } from "./load-model.js";
import { answerInOrder, failsOneImage, prepareEach } from "./outcomes.js";
import { promptIds } from "./prompt.js";
import { toItemResult } from "./results.js";
import { type CallPair, requireSome, throwIfAborted, validateCall } from "./validate.js";

const spec = (name: string): TaskSpec => findTask(name)!;
const LIMITS = { maxNewTokens: 100, maxNumBeams: 4, maxTextBytes: 10 };
const raw = (width: number, height: number): RawImage => ({
  kind: "raw",
  format: "gray",
  width,
  height,
  data: new Uint8Array(width * height),
});

describe("validate", () => {
  const caption: CallPair = { spec: spec("caption"), request: { task: "caption" }, imageIndex: 0 };
  const grounding = (text: string): CallPair => ({
    spec: spec("phrase_grounding"),
    request: { task: "phrase_grounding", text },
    imageIndex: 0,
  });
  it.each<[string, CallPair[], number, { numBeams?: number }, RegExp | undefined]>([
    ["a call within the limits", [caption], 1, { numBeams: 4 }, undefined],
    ["too many beams", [caption], 1, { numBeams: 5 }, /num_beams/],
    ["text on a task without input", [{ ...caption, request: { task: "caption", text: "x" } }], 1, {}, /takes no text/],
    ["a text over maxTextBytes", [grounding("01234567890")], 1, {}, /11 bytes/],
  ])("%s", (_name, pairs, images, params, error) => {
    const call = () => validateCall(pairs, images, params, LIMITS);
    if (error === undefined) expect(call).not.toThrow();
    else expect(call).toThrow(error);
  });

  it("names the task of a long text in a multi-task call", () => {
    expect(() => validateCall([grounding("a"), grounding("01234567890")], 1, {}, LIMITS)).toThrow(
      expect.objectContaining({ violations: [expect.objectContaining({ field: "tasks[1].text" })] }),
    );
  });

  it("requires images and tasks, and stops a cancelled call", () => {
    expect(() => requireSome(0, "images")).toThrow(/no images given; pass at least one image/);
    expect(() => requireSome(0, "tasks")).toThrow(/no tasks given; pass at least one task/);
    expect(() => throwIfAborted(AbortSignal.abort())).toThrow(expect.objectContaining({ kind: "cancelled" }));
  });
});

/** Decodes every image, then applies a call's rule: the first failed image fails the call. */
async function prepareImages(
  images: Parameters<typeof prepareImageOutcomes>[0],
  config: Parameters<typeof prepareImageOutcomes>[1],
  limits: Parameters<typeof prepareImageOutcomes>[2],
) {
  return settleImages(await prepareImageOutcomes(images, config, limits), false) as PreparedImage[];
}

describe("images", () => {
  it("decodes and resizes each image, keeping its original size", async () => {
    const prepared = await prepareImages(
      [raw(3, 2), raw(1, 1)],
      { size: { width: 4, height: 4 } },
      { maxPixels: 100, maxBytes: 100 },
    );
    expect(prepared.map((p) => [p.originalSize, p.resized.length])).toEqual([
      [{ width: 3, height: 2 }, 48],
      [{ width: 1, height: 1 }, 48],
    ]);
  });

  it("names the failing image when the call has several", async () => {
    await expect(
      prepareImages([raw(1, 1), raw(20, 20)], { size: { width: 4, height: 4 } }, { maxPixels: 100, maxBytes: 100 }),
    ).rejects.toMatchObject({
      kind: "invalid_image",
      message: expect.stringMatching(/^images\[1\]: .*over the limit of 100 pixels/),
    });
    await expect(
      prepareImages([raw(20, 20)], { size: { width: 4, height: 4 } }, { maxPixels: 100, maxBytes: 100 }),
    ).rejects.toMatchObject({
      message: expect.not.stringMatching(/^images\[/),
    });
  });
});

describe("per-image outcomes (runEach)", () => {
  const fit = { size: { width: 4, height: 4 } };
  const limits = { maxPixels: 100, maxBytes: 100 };

  it("keeps a too-large image as its own failure, named, and decodes the others", async () => {
    const prepared = settleImages(await prepareImageOutcomes([raw(3, 2), raw(20, 20), raw(1, 1)], fit, limits), true);
    expect(prepared.map((p) => (p instanceof FlorenceError ? p.kind : p.originalSize))).toEqual([
      { width: 3, height: 2 },
      "invalid_image",
      { width: 1, height: 1 },
    ]);
    expect(prepared[1]).toMatchObject({ message: expect.stringMatching(/^images\[1\]: /) });
  });

  const bad = (kind: FlorenceErrorKind) => new FlorenceError(kind, kind);
  // Each row: what preparing each item does ("ok", or the error kind it throws), what the call
  // answers in order (a result or the failure's kind), or the kind the whole call fails with.
  it.each<[string, (FlorenceErrorKind | "ok")[], (string | number)[] | { throws: FlorenceErrorKind }]>([
    ["all good", ["ok", "ok", "ok"], [0, 1, 2]],
    ["the middle image is bad", ["ok", "invalid_image", "ok"], [0, "invalid_image", 2]],
    ["the first and last fail", ["invalid_image", "ok", "invalid_region"], ["invalid_image", 1, "invalid_region"]],
    ["every image fails", ["invalid_image", "invalid_region"], ["invalid_image", "invalid_region"]],
    ["one image, bad", ["invalid_image"], ["invalid_image"]],
    [
      "a request-level error fails the call",
      ["ok", "invalid_argument", "invalid_image"],
      { throws: "invalid_argument" },
    ],
    ["so does a cancellation", ["invalid_image", "cancelled"], { throws: "cancelled" }],
  ])("%s", async (_name, items, expected) => {
    const run = async () => {
      const prepared = prepareEach(
        items.length,
        (i) => {
          const item = items[i]!;
          if (item !== "ok") throw bad(item);
          return i;
        },
        true,
      );
      const ran: number[][] = [];
      const outcomes = await answerInOrder(prepared, async (ready) => {
        ran.push([...ready]);
        return ready.map((i) => i * 10);
      });
      // Only the good items ran, once, in order; each answer is back at its item's place.
      expect(ran).toEqual([items.flatMap((item, i) => (item === "ok" ? [i] : []))]);
      return outcomes.map((o) => (o.ok ? o.result / 10 : o.error.kind));
    };
    if (Array.isArray(expected)) expect(await run()).toEqual(expected);
    else await expect(run()).rejects.toMatchObject({ kind: expected.throws });
  });

  it("without perImage, a per-image error fails the call as before", () => {
    expect(() =>
      prepareEach(
        2,
        (i) => {
          if (i === 1) throw bad("invalid_region");
          return i;
        },
        false,
      ),
    ).toThrow(expect.objectContaining({ kind: "invalid_region" }));
    expect(failsOneImage(bad("invalid_image"))).toBe(true);
    expect(failsOneImage(bad("queue_full"))).toBe(false);
    expect(failsOneImage(new Error("invalid_image"))).toBe(false);
  });
});

describe("prompt", () => {
  const tokenizer = { encode: (prompt: string) => Array.from(prompt, (c) => c.charCodeAt(0)) };
  it("encodes the task's prompt", () => {
    expect(promptIds(tokenizer, spec("ocr"), { task: "ocr" }, { width: 1, height: 1 }, 100)).toEqual(
      tokenizer.encode("What is the text in the image?"),
    );
  });
  it("refuses a prompt longer than the encoder's positions leave", () => {
    expect(() => promptIds(tokenizer, spec("ocr"), { task: "ocr" }, { width: 1, height: 1 }, 5)).toThrow(
      /tokens long; this model accepts at most 5/,
    );
  });
});

describe("decode", () => {
  it("asks the search for the call's decoding parameters only, and names each token's item", () => {
    const tokens: unknown[] = [];
    const signal = new AbortController().signal;
    const request = decodeRequest(
      2,
      { numBeams: 1, lane: "l", signal, onToken: (t) => tokens.push(t), onTimings: () => {} },
      (id) => `#${id}`,
    );
    expect(request.options).toEqual({ numBeams: 1 });
    expect(request.signal).toBe(signal);
    request.onToken?.({ request: 0, id: 7, position: 1, logprob: 0 });
    expect(tokens).toEqual([{ id: 7, text: "#7", imageIndex: 2 }]);
    expect(decodeRequest(0, {}, String)).toEqual({ options: {} });
  });

  it("starts from the checkpoint's defaults with 3 beams, early stopping and the positions as a cap", () => {
    const gen = {
      noRepeatNgramSize: 3,
      forcedBosTokenId: 0,
      forcedEosTokenId: 2,
      eosTokenId: 2,
      decoderStartTokenId: 2,
      lengthPenalty: 1,
    };
    expect(
      searchDefaults(
        {
          ...gen,
          numBeams: 1,
          earlyStopping: false,
          bosTokenId: 0,
          padTokenId: 1,
          maxLength: 20,
          source: "config.json",
        },
        512,
      ),
    ).toEqual({
      ...gen,
      maxNewTokens: 512,
      numBeams: 3,
      earlyStopping: true,
    });
  });

  it("counts decoder passes and rows and calls the hook before each", async () => {
    const counters: PassCounters = { decoderSteps: 0, decoderRows: 0, visionImages: 0 };
    const calls: string[] = [];
    const step = async () => {
      calls.push("step");
      return { data: new Float32Array(3), vocabSize: 3 };
    };
    const stepper = instrumented({ step }, counters, () => calls.push("hook"));
    await stepper.step({ tokens: [1, 2], rowSources: undefined, rowRequests: [0, 0] });
    await stepper.step({ tokens: [1], rowSources: [0], rowRequests: [0] });
    expect(counters).toEqual({ decoderSteps: 2, decoderRows: 3, visionImages: 0 });
    expect(calls).toEqual(["hook", "step", "hook", "step"]);
  });
});

describe("results", () => {
  it("joins the pieces and scores each generated token; the start token gets 0", () => {
    const pieces = [
      { id: 2, text: "</s>" },
      { id: 0, text: "<s>" },
      { id: 5, text: "a cat" },
      { id: 2, text: "</s>" },
    ];
    const result = toItemResult(
      { decodePieces: () => pieces },
      spec("caption"),
      { width: 10, height: 10 },
      {
        tokens: [2, 0, 5, 2],
        logprobs: [0, -0.5, -0.1],
        stopReason: "eos",
        sequenceScore: undefined,
      },
    );
    expect(result).toMatchObject({ task: "caption", text: "a cat", rawText: "</s><s>a cat</s>", generatedTokens: 3 });
  });
});

describe("load-model", () => {
  it("derives the prompt and text limits from the positions the image leaves", () => {
    const info = describeModel({
      id: "m",
      path: "/m",
      dtype: "fp16",
      executionProvider: "cpu",
      imageSize: { width: 768, height: 768 },
      vocabSize: 51289,
      decoderLayers: 6,
      imageTokens: FALLBACK_IMAGE_TOKENS,
      maxPositionEmbeddings: 1024,
      maxTokenBytes: 10,
    });
    expect(info).toMatchObject({ dtype: "fp16", maxPromptTokens: 447, maxNewTokens: 1024, maxTextBytes: 4450 });
  });
});

describe("settleImages: a call's rule for its images", () => {
  const ready: PreparedImage = { originalSize: { width: 1, height: 1 }, resized: new Uint8Array(3) };
  const broken = new FlorenceError("invalid_image", "images[1]: not an image");
  it.each<[string, boolean, readonly (PreparedImage | FlorenceError)[], "passes" | "throws"]>([
    ["all ready, whole call", false, [ready, ready], "passes"],
    ["one failed, whole call", false, [ready, broken], "throws"],
    ["one failed, per image", true, [ready, broken], "passes"],
    ["all failed, per image", true, [broken, broken], "passes"],
  ])("%s", (_name, perImage, outcomes, expected) => {
    if (expected === "throws") {
      expect(() => settleImages(outcomes, perImage)).toThrow(broken);
    } else {
      expect(settleImages(outcomes, perImage)).toEqual(outcomes);
    }
  });
});
