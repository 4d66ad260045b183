import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { RequestLimits } from "../core/limits.js";
import { BoundingBoxSchema } from "../gen/florence/v1/geometry_pb.js";
import type { Image } from "../gen/florence/v1/image_pb.js";
import { ImageSchema, PixelFormat } from "../gen/florence/v1/image_pb.js";
import { GenerationOptionsSchema, Task } from "../gen/florence/v1/task_pb.js";
import type { FlorenceError } from "../models/errors.js";
import {
  effectiveMaxNewTokens,
  modelLimitViolations,
  pixelBudgetViolations,
  toGenerationOptions,
  toImageInput,
  toImageInputs,
  toRegion,
  toTaskRequest,
  toTaskRequestFor,
  Violations,
} from "./validation.js";

const LIMITS: RequestLimits = {
  maxImagesPerRequest: 2,
  maxTasksPerRequest: 2,
  maxNumBeams: 4,
  maxNewTokens: 100,
  maxFramesInFlightPerStream: 2,
};

function errorOf(v: Violations): FlorenceError {
  expect(v.isEmpty).toBe(false);
  return v.toError();
}

function raw(width: number, height: number, format: PixelFormat, bytes: number): Image {
  return create(ImageSchema, {
    source: { case: "raw", value: { width, height, format, data: new Uint8Array(bytes) } },
  });
}

describe("toImageInput", () => {
  it("accepts encoded bytes and raw pixels of the right length", () => {
    const v = new Violations();
    const encoded = toImageInput(
      create(ImageSchema, { source: { case: "encoded", value: new Uint8Array([1, 2]) } }),
      "image",
      v,
    );
    expect(encoded).toEqual({ kind: "encoded", data: new Uint8Array([1, 2]) });
    expect(toImageInput(raw(2, 3, PixelFormat.BGRA, 24), "image", v)).toMatchObject({
      kind: "raw",
      width: 2,
      height: 3,
      format: "bgra",
    });
    expect(toImageInput(raw(5, 1, PixelFormat.GRAY, 5), "image", v)).toMatchObject({ format: "gray" });
    expect(v.isEmpty).toBe(true);
  });

  const bad: [string, Image | undefined, string, RegExp][] = [
    ["missing", undefined, "images[0]", /no image given/],
    ["unset oneof", create(ImageSchema), "images[0]", /Image.encoded/],
    [
      "empty encoded",
      create(ImageSchema, { source: { case: "encoded", value: new Uint8Array() } }),
      "images[0].encoded",
      /empty \(0 bytes\)/,
    ],
    ["unspecified format", raw(2, 2, PixelFormat.UNSPECIFIED, 12), "images[0].raw.format", /PIXEL_FORMAT_RGB \(1\)/],
    ["unknown format", raw(2, 2, 99 as PixelFormat, 12), "images[0].raw.format", /unknown pixel format 99/],
    ["zero width", raw(0, 2, PixelFormat.RGB, 0), "images[0].raw", /width and height must be > 0/],
    ["short data", raw(2, 2, PixelFormat.RGB, 11), "images[0].raw.data", /has 11 bytes but 2x2 rgb needs 12/],
  ];
  it.each(bad)("%s is invalid_image naming %s", (_name, image, field, message) => {
    const v = new Violations();
    expect(toImageInput(image, "images[0]", v)).toBeUndefined();
    const e = errorOf(v);
    expect(e.kind).toBe("invalid_image");
    expect(e.violations[0]?.field).toBe(field);
    expect(e.message).toMatch(message);
  });
});

describe("toImageInputs", () => {
  it("rejects an empty list and more than the limit", () => {
    const none = new Violations();
    toImageInputs([], "images", LIMITS, none);
    expect(errorOf(none).message).toMatch(/^images: no images/);
    const many = new Violations();
    toImageInputs(
      [raw(1, 1, PixelFormat.GRAY, 1), raw(1, 1, PixelFormat.GRAY, 1), raw(1, 1, PixelFormat.GRAY, 1)],
      "images",
      LIMITS,
      many,
    );
    expect(errorOf(many).message).toMatch(/3 images, but this server accepts at most 2/);
  });

  it("names each bad image by index and reports all of them", () => {
    const v = new Violations();
    const ok = raw(1, 1, PixelFormat.GRAY, 1);
    const out = toImageInputs([create(ImageSchema), ok], "images", LIMITS, v);
    expect(out).toHaveLength(1);
    expect(v.list.map((x) => x.field)).toEqual(["images[0]"]);
  });
});

describe("toRegion", () => {
  const cases: [string, [number, number, number, number], boolean][] = [
    ["a box", [1, 2, 3, 4], true],
    ["inverted x", [3, 2, 1, 4], false],
    ["empty height", [1, 2, 3, 2], false],
    ["negative", [-1, 2, 3, 4], false],
    ["NaN", [Number.NaN, 2, 3, 4], false],
  ];
  it.each(cases)("%s", (_name, [x1, y1, x2, y2], ok) => {
    const v = new Violations();
    const region = toRegion(create(BoundingBoxSchema, { x1, y1, x2, y2 }), "region", v);
    expect(region !== undefined).toBe(ok);
    expect(v.isEmpty).toBe(ok);
    if (!ok) expect(errorOf(v).kind).toBe("invalid_region");
  });

  it("requires a region", () => {
    const v = new Violations();
    toRegion(undefined, "region", v);
    expect(errorOf(v).message).toMatch(/^region: a region is required/);
  });
});

describe("toTaskRequest", () => {
  it("takes the text only for text tasks and the region only for region tasks", () => {
    const v = new Violations();
    const region = create(BoundingBoxSchema, { x1: 1, y1: 1, x2: 5, y2: 5 });
    expect(toTaskRequest({ task: Task.CAPTION, text: "ignored", region }, "", v)).toEqual({ task: "caption" });
    expect(toTaskRequest({ task: Task.PHRASE_GROUNDING, text: "a dog", region }, "", v)).toEqual({
      task: "phrase_grounding",
      text: "a dog",
    });
    expect(toTaskRequest({ task: Task.REGION_TO_OCR, text: "x", region }, "", v)).toEqual({
      task: "region_to_ocr",
      region: [1, 1, 5, 5],
    });
    expect(v.isEmpty).toBe(true);
  });

  it("rejects TASK_UNSPECIFIED and unknown numbers, listing the valid values", () => {
    for (const task of [Task.UNSPECIFIED, 77 as Task]) {
      const v = new Violations();
      expect(toTaskRequest({ task, text: "" }, "tasks[1].", v)).toBeUndefined();
      const e = errorOf(v);
      expect(e.kind).toBe("invalid_argument");
      expect(e.violations[0]?.field).toBe("tasks[1].task");
      expect(e.message).toContain("TASK_CAPTION (1)");
      expect(e.message).toContain("TASK_REGION_TO_OCR (15)");
      expect(e.message).not.toContain("TASK_UNSPECIFIED (0)");
    }
  });

  it("reports a blank phrase as missing_text under the RPC's field name", () => {
    const v = new Violations();
    toTaskRequestFor("referring_expression_segmentation", { text: "  \n" }, "", v, "phrase");
    const e = errorOf(v);
    expect(e.kind).toBe("missing_text");
    expect(e.message).toBe("phrase: is required by TASK_REFERRING_EXPRESSION_SEGMENTATION and must not be blank");
  });
});

describe("toGenerationOptions", () => {
  it("keeps set fields and leaves unset ones to the engine's defaults", () => {
    const v = new Violations();
    const options = create(GenerationOptionsSchema, { numBeams: 1, earlyStopping: false });
    expect(toGenerationOptions(options, "options", LIMITS, v)).toEqual({ numBeams: 1, earlyStopping: false });
    expect(toGenerationOptions(undefined, "options", LIMITS, v)).toEqual({});
    expect(v.isEmpty).toBe(true);
  });

  it("enforces the server limits", () => {
    const v = new Violations();
    toGenerationOptions(create(GenerationOptionsSchema, { numBeams: 5, maxNewTokens: 0 }), "config.options", LIMITS, v);
    expect(v.list.map((x) => x.field)).toEqual(["config.options.num_beams", "config.options.max_new_tokens"]);
    expect(errorOf(v).message).toMatch(/^2 invalid fields: config.options.num_beams: must be 1 to 4, got 5; /);
  });

  it("min_new_tokens: at most max_new_tokens", () => {
    const ok = new Violations();
    expect(
      toGenerationOptions(create(GenerationOptionsSchema, { maxNewTokens: 8, minNewTokens: 8 }), "options", LIMITS, ok),
    ).toEqual({ maxNewTokens: 8, minNewTokens: 8 });
    expect(ok.isEmpty).toBe(true);
    const bad = new Violations();
    toGenerationOptions(create(GenerationOptionsSchema, { maxNewTokens: 8, minNewTokens: 9 }), "options", LIMITS, bad);
    expect(bad.list.map((x) => `${x.field}: ${x.description}`)).toEqual([
      "options.min_new_tokens: must be at most max_new_tokens (8), got 9",
    ]);
  });
});

describe("model limits", () => {
  const model = { maxNewTokens: 1024, maxTextBytes: 100 };
  const check = (tasks: { task: "phrase_grounding" | "caption"; text?: string }[], maxNewTokens?: number) => {
    const v = new Violations();
    modelLimitViolations(model, tasks, maxNewTokens === undefined ? {} : { maxNewTokens }, (i) => `tasks[${i}].`, v);
    return v.list;
  };
  it.each([
    ["within both limits", [{ task: "phrase_grounding" as const, text: "a".repeat(100) }], 1024, []],
    ["no text, no max_new_tokens", [{ task: "caption" as const }], undefined, []],
    [
      "a text one byte over",
      [{ task: "phrase_grounding" as const, text: "a".repeat(101) }],
      undefined,
      ["tasks[0].text"],
    ],
    // 34 three-byte characters are 102 bytes but only 34 UTF-16 units: bytes are what count.
    [
      "multi-byte text counted in UTF-8 bytes",
      [{ task: "phrase_grounding" as const, text: "\u20ac".repeat(34) }],
      undefined,
      ["tasks[0].text"],
    ],
    ["max_new_tokens past the decoder's positions", [{ task: "caption" as const }], 1025, ["options.max_new_tokens"]],
    [
      "both, on the second task",
      [{ task: "caption" as const }, { task: "phrase_grounding" as const, text: "b".repeat(200) }],
      2048,
      ["tasks[1].text", "options.max_new_tokens"],
    ],
  ])("%s", (_name, tasks, maxNewTokens, fields) => {
    expect(check(tasks, maxNewTokens).map((x) => x.field)).toEqual(fields);
  });

  it("the text violation says the limit and what to do", () => {
    const [violation] = check([{ task: "phrase_grounding", text: "a".repeat(150) }]);
    expect(violation?.description).toContain("150 bytes");
    expect(violation?.description).toContain("at most 100 bytes");
    expect(violation?.description).toContain("shorten");
  });

  it.each([
    [4096, 1024],
    [512, 512],
  ])("effective max_new_tokens: server %i, model 1024 -> %i", (server, expected) => {
    expect(effectiveMaxNewTokens(server, model)).toBe(expected);
  });

  it.each([
    ["one image at the budget", [{ width: 2000, height: 1000 }], 2, false],
    ["one image over", [{ width: 2001, height: 1000 }], 2, true],
    [
      "images summed over the budget",
      [
        { width: 1000, height: 1000 },
        { width: 1000, height: 1000 },
        { width: 1, height: 1 },
      ],
      2,
      true,
    ],
    ["unreadable headers count nothing", [{ width: 0, height: 0 }], 1, false],
  ])("pixel budget: %s", (_name, sizes, budget, over) => {
    const v = new Violations();
    pixelBudgetViolations(sizes, budget, "images", v);
    expect(v.isEmpty).toBe(!over);
    if (over) expect(v.list[0]?.description).toContain(`budget of ${budget} megapixels`);
  });
});
