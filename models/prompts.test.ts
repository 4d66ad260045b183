import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FlorenceError } from "./errors.js";
import type { Region } from "./inputs.js";
import { buildRawPrompt } from "../test/support/raw-prompt.js";
import { buildPrompt, encodeRegion, quantizeCoordinate, validateRegion } from "./prompts.js";
import type { ImageSize } from "./results.js";
import { findTask, TASKS, type TaskName } from "./tasks.js";

const CAR: ImageSize = { width: 640, height: 480 };

function thrown(f: () => unknown): FlorenceError {
  try {
    f();
  } catch (e) {
    if (e instanceof FlorenceError) return e;
    throw e;
  }
  throw new Error("expected a FlorenceError");
}

describe("buildPrompt", () => {
  // The prompt strings of docs/florence2-contract.md#2-tasks (the templates' missing trailing punctuation included).
  it.each<[TaskName, { text?: string; region?: Region }, string]>([
    ["caption", {}, "What does the image describe?"],
    ["detailed_caption", {}, "Describe in detail what is shown in the image."],
    ["more_detailed_caption", {}, "Describe with a paragraph what is shown in the image."],
    ["object_detection", {}, "Locate the objects with category name in the image."],
    ["dense_region_caption", {}, "Locate the objects in the image, with their descriptions."],
    ["region_proposal", {}, "Locate the region proposals in the image."],
    ["ocr", {}, "What is the text in the image?"],
    ["ocr_with_region", {}, "What is the text in the image, with regions?"],
    ["open_vocabulary_detection", { text: "wheels" }, "Locate wheels in the image."],
    ["referring_expression_segmentation", { text: "a car" }, "Locate a car in the image with mask"],
    [
      "phrase_grounding",
      { text: "A green car parked in front of a yellow building." },
      "Locate the phrases in the caption: A green car parked in front of a yellow building.",
    ],
    // docs/florence2-contract.md#33-region-input: the notebook's OD car box
    // [33.6, 159.6, 596.8, 371.76] is the region it then asks about.
    [
      "region_to_category",
      { region: [33.6, 159.6, 596.8, 371.76] },
      "What is the region <loc_52><loc_332><loc_932><loc_774>?",
    ],
    [
      "region_to_description",
      { region: [33.6, 159.6, 596.8, 371.76] },
      "What does the region <loc_52><loc_332><loc_932><loc_774> describe?",
    ],
    [
      "region_to_segmentation",
      { region: [449.5, 276.25, 554.5, 370.75] },
      "What is the polygon mask of region <loc_702><loc_575><loc_866><loc_772>",
    ],
    ["region_to_ocr", { region: [0, 0, 640, 480] }, "What text is in the region <loc_0><loc_0><loc_999><loc_999>?"],
  ])("%s %j", (name, input, prompt) => {
    expect(buildPrompt(TASKS[name], input, CAR)).toBe(prompt);
  });

  it("trims the text with Python's notion of whitespace (native), keeping inner spaces", () => {
    const spec = TASKS.phrase_grounding;
    expect(buildPrompt(spec, { text: "\t  a red  car \n\u0085" }, CAR)).toBe(
      "Locate the phrases in the caption: a red  car",
    );
  });

  it("keeps replacement patterns in user text literal", () => {
    expect(buildPrompt(TASKS.open_vocabulary_detection, { text: "$& and $1" }, CAR)).toBe(
      "Locate $& and $1 in the image.",
    );
  });

  it("ignores inputs a task does not take", () => {
    expect(buildPrompt(TASKS.caption, { text: "hello", region: [1, 2, 3, 4] }, CAR)).toBe(
      "What does the image describe?",
    );
    expect(buildPrompt(TASKS.open_vocabulary_detection, { text: "cat", region: [-1, 0, 0, 0] }, CAR)).toBe(
      "Locate cat in the image.",
    );
  });

  it.each<[TaskName, string | undefined]>([
    ["phrase_grounding", undefined],
    ["referring_expression_segmentation", ""],
    ["open_vocabulary_detection", " \t\n"],
  ])("%s with text %j is missing_text naming the task and what to pass", (name, text) => {
    const e = thrown(() => buildPrompt(TASKS[name], text === undefined ? {} : { text }, CAR));
    expect(e.kind).toBe("missing_text");
    expect(e.message).toContain(name);
    expect(e.message).toContain(TASKS[name].token);
    expect(e.message).toMatch(/e\.g\. "/);
    expect(e.violations).toEqual([{ field: "text", description: expect.stringContaining(name) }]);
  });

  it("a region task without a region is invalid_region", () => {
    const e = thrown(() => buildPrompt(TASKS.region_to_category, { text: "the car" }, CAR));
    expect(e.kind).toBe("invalid_region");
    expect(e.violations[0]?.field).toBe("region");
  });

  it("validates the region before encoding it", () => {
    expect(thrown(() => buildPrompt(TASKS.region_to_ocr, { region: [0, 0, 641, 480] }, CAR)).kind).toBe(
      "invalid_region",
    );
  });
});

describe("quantizeCoordinate / encodeRegion", () => {
  it.each([
    [0, 640, 0],
    [0.639, 640, 0],
    [0.64, 640, 1],
    [33.6, 640, 52],
    [639.99, 640, 999],
    [640, 640, 999], // x2 = width clamps to the last bin
    [-5, 640, 0],
    [32, 256, 125], // exact boundary: float64 floor(32 * 1000 / 256) = 125 (native float32 says 124)
  ])("v=%d on %d px -> bin %d", (v, size, bin) => {
    expect(quantizeCoordinate(v, size)).toBe(bin);
  });

  it("round-trips bin centres (the de-quantization inverse)", () => {
    for (const size of [12, 255, 640, 2160]) {
      for (let k = 0; k < 1000; k++) expect(quantizeCoordinate(((k + 0.5) * size) / 1000, size)).toBe(k);
    }
  });

  it("uses the width for x and the height for y", () => {
    expect(encodeRegion([100, 100, 200, 200], { width: 1000, height: 500 })).toBe(
      "<loc_100><loc_200><loc_200><loc_400>",
    );
  });
});

describe("validateRegion", () => {
  it.each<[string, Region]>([
    ["the whole image", [0, 0, 640, 480]],
    ["a 1-pixel box", [5, 4, 6, 5]],
    ["fractional", [0.25, 0.5, 0.75, 1]],
  ])("accepts %s", (_what, region) => {
    expect(() => validateRegion(region, CAR)).not.toThrow();
  });

  it.each<[string, Region, RegExp]>([
    ["NaN", [Number.NaN, 0, 10, 10], /finite/],
    ["Infinity", [0, 0, Number.POSITIVE_INFINITY, 10], /finite/],
    ["negative x1", [-1, 0, 10, 10], /x1 and y1 must be >= 0/],
    ["negative y1", [0, -0.5, 10, 10], /x1 and y1 must be >= 0/],
    ["x2 past the width", [0, 0, 641, 10], /x2 must be <= the image width 640/],
    ["y2 past the height", [0, 0, 10, 480.5], /y2 must be <= the image height 480/],
    ["inverted x", [20, 0, 10, 10], /x1 must be < x2/],
    ["empty height", [0, 10, 10, 10], /y1 must be < y2/],
    ["three numbers", [1, 2, 3] as unknown as Region, /exactly four/],
  ])("rejects %s", (_what, region, rule) => {
    const e = thrown(() => validateRegion(region, CAR));
    expect(e.kind).toBe("invalid_region");
    expect(e.message).toMatch(rule);
    expect(e.message).toContain("640x480");
    expect(e.violations).toHaveLength(1);
    expect(e.violations[0]?.field).toBe("region");
    expect(e.violations[0]?.description).toMatch(rule);
  });

  it("states the region in the message", () => {
    expect(thrown(() => validateRegion([0, 0, 700, 10], CAR)).message).toContain("[0, 0, 700, 10]");
  });
});

describe("buildRawPrompt (native _construct_prompts)", () => {
  it.each([
    ["What color is the car?", "What color is the car?"],
    [" describe", " describe"],
    ["", ""],
    ["<OCR>", "What is the text in the image?"],
    ["<CAPTION_TO_PHRASE_GROUNDING> a red car", "Locate the phrases in the caption: a red car"],
    ["<REGION_TO_CATEGORY><loc_1><loc_2><loc_3><loc_4>", "What is the region <loc_1><loc_2><loc_3><loc_4>?"],
    ["<OPEN_VOCABULARY_DETECTION>cat<OPEN_VOCABULARY_DETECTION>s", "Locate cats in the image."],
  ])("%j -> %j", (text, prompt) => {
    expect(buildRawPrompt(text)).toBe(prompt);
  });

  it("a no-input task token with other text is invalid_argument", () => {
    const e = thrown(() => buildRawPrompt("<OD>extra"));
    expect(e.kind).toBe("invalid_argument");
    expect(e.message).toContain("<OD>");
  });
});

interface PromptGolden {
  quantize_cases: {
    id: string;
    image_size: [number, number];
    box_px: [number, number, number, number];
    loc_string: string;
  }[];
  cases: {
    id: string;
    task: string | null;
    text: string;
    user_input: string | null;
    region: { image_size: [number, number]; box_px: [number, number, number, number] } | null;
    prompt: string | null;
    native_error: string | null;
  }[];
}

const golden = JSON.parse(
  readFileSync(new URL("../test/fixtures/goldens/prompts.json", import.meta.url), "utf8"),
) as PromptGolden;

describe("prompts golden (native transformers Florence2Processor)", () => {
  it.each(golden.quantize_cases.map((c) => [c.id, c] as const))("region %s", (_id, c) => {
    expect(encodeRegion(c.box_px, { width: c.image_size[0], height: c.image_size[1] })).toBe(c.loc_string);
  });

  it.each(golden.cases.map((c) => [c.id, c] as const))("raw %s", (_id, c) => {
    if (c.native_error !== null) {
      const token = /Task token (\S+) /.exec(c.native_error)?.[1] ?? "";
      const e = thrown(() => buildRawPrompt(c.text));
      expect(e.kind).toBe("invalid_argument");
      expect(e.message).toContain(token);
    } else {
      expect(buildRawPrompt(c.text)).toBe(c.prompt);
    }
  });

  // Cases of a known task whose input our typed API can express: text, or a pixel region inside the image.
  const typed = golden.cases.filter(
    (c) => c.task !== null && c.native_error === null && findTask(c.task) !== undefined,
  );
  it.each(typed.map((c) => [c.id, c] as const))("typed %s", (_id, c) => {
    const spec = findTask(c.task as string);
    if (spec === undefined) throw new Error(`unknown task ${c.task}`);
    if (spec.input === "region" && c.region === null) {
      // The region was given as literal <loc_> text, which only the raw path accepts (tested above).
      expect(c.user_input).toMatch(/^\s*(<loc_\d+>){4}$/);
      return;
    }
    const size = c.region === null ? CAR : { width: c.region.image_size[0], height: c.region.image_size[1] };
    const input =
      spec.input === "region" && c.region !== null ? { region: c.region.box_px } : { text: c.user_input ?? "" };
    const [x1, y1, x2, y2] = c.region?.box_px ?? [0, 0, 1, 1];
    if (spec.input === "region" && (x1 < 0 || y1 < 0 || x2 > size.width || y2 > size.height)) {
      // Native clamps an out-of-image box; we reject it (the region must lie inside the image).
      expect(thrown(() => buildPrompt(spec, input, size)).kind).toBe("invalid_region");
      return;
    }
    expect(buildPrompt(spec, input, size)).toBe(c.prompt);
  });
});
