/**
 * Parser behaviour beyond the golden file: the decoded-text spans each element is read from, and
 * reference quirks on inputs the goldens do not cover (Python regex semantics).
 */
import { describe, expect, it } from "vitest";
import {
  numbersOf,
  type ReferenceValue,
  referenceShape,
  withoutNumbers,
} from "../../test/support/postprocess/reference-shape.js";
import type { OutputKind } from "../tasks.js";
import type { Span } from "./clean-text.js";
import { binsToBox } from "./dequantize.js";
import { parseBoxes } from "./parse-boxes.js";
import { parseOcr } from "./parse-ocr.js";
import { parseOpenVocabulary } from "./parse-open-vocabulary.js";
import { parsePolygons } from "./parse-polygons.js";
import { parseAnswerText, parsePureText } from "./parse-text.js";

const textOf = (decoded: string, spans: readonly Span[]) => spans.map((s) => decoded.slice(s.start, s.end)).join("|");

describe("parseBoxes spans", () => {
  const decoded =
    "</s><s>dog<loc_120><loc_300><loc_480><loc_890>cushion<loc_600><loc_250><loc_820><loc_500><loc_50><loc_260><loc_210><loc_520></s>";
  const boxes = parseBoxes(decoded);

  it("points each box at its own four location tokens", () => {
    expect(boxes.map((b) => textOf(decoded, b.locationSpans))).toEqual([
      "<loc_120><loc_300><loc_480><loc_890>",
      "<loc_600><loc_250><loc_820><loc_500>",
      "<loc_50><loc_260><loc_210><loc_520>",
    ]);
  });

  it("points each box at its phrase", () => {
    expect(boxes.map((b) => textOf(decoded, b.textSpans))).toEqual(["dog", "cushion", "cushion"]);
  });

  it("skips removed special tokens inside a span", () => {
    const d = "</s><s>red <pad>car<loc_1><loc_2><loc_3><loc_4></s>";
    const [box] = parseBoxes(d);
    expect(box?.label).toBe("red car");
    expect(textOf(d, box?.textSpans ?? [])).toBe("red |car");
  });
});

/**
 * Inputs outside the golden file, with the output of transformers 4.57's native
 * Florence2PostProcessor on them (float64 bin centres, 800x600), run once by hand with
 * tools/reference/.venv; they pin down Python regex and str semantics.
 */
const QUIRKS: readonly [string, OutputKind, string, ReferenceValue][] = [
  // "[^<]+" cannot cross "<od>", so the chunk starts after it.
  [
    "a stray <od> ends up in the label",
    "description_with_bboxes",
    "</s><s>cat<od><loc_1><loc_2><loc_3><loc_4></s>",
    {
      bboxes: [[1.2, 1.5, 2.8, 2.7]],
      labels: ["od>"],
    },
  ],
  // Python's "." excludes only "\n"; JavaScript's would also exclude "\r" and drop the chunk.
  [
    "carriage return inside a label",
    "description_with_bboxes",
    "</s><s>red\rcar<loc_1><loc_2><loc_3><loc_4></s>",
    {
      bboxes: [[1.2, 1.5, 2.8, 2.7]],
      labels: ["red\rcar"],
    },
  ],
  // Python strips U+001C..U+001F and U+0085; it keeps U+FEFF, which the ASCII filter then deletes.
  [
    "Python whitespace",
    "description_with_bboxes",
    "</s><s>\u001c\u0085x\u001f<loc_1><loc_2><loc_3><loc_4>\ufeffy\ufeff<loc_1><loc_2><loc_3><loc_4></s>",
    {
      bboxes: [
        [1.2, 1.5, 2.8, 2.7],
        [1.2, 1.5, 2.8, 2.7],
      ],
      labels: ["x", "y"],
    },
  ],
  // The black-list is checked before non-ASCII characters are removed.
  [
    "grounding black-list before the ASCII filter",
    "phrase_grounding",
    "</s><s>them<loc_1><loc_2><loc_3><loc_4>thém<loc_5><loc_6><loc_7><loc_8></s>",
    {
      bboxes: [[4.4, 3.9, 6.0, 5.1]],
      labels: ["thm"],
    },
  ],
  [
    "locations outside <poly>…</poly> are ignored",
    "polygons",
    "<loc_1><loc_2><poly><loc_3><loc_4><loc_5><loc_6></poly>",
    {
      polygons: [[[2.8, 2.7, 4.4, 3.9]]],
      labels: [""],
    },
  ],
  ["empty <poly> groups", "polygons", "<poly></poly><poly></poly>", { polygons: [], labels: [] }],
  ["only separators", "polygons", "<sep><sep><sep>", { polygons: [], labels: [] }],
  // After the first location token is skipped, the phrase runs up to the next "<loc_": "<sep>".
  [
    "a lone coordinate, then <sep>",
    "polygons",
    "<loc_1><sep><loc_2><loc_3><loc_4>",
    {
      polygons: [[[], [2.0, 2.1]]],
      labels: ["<sep>"],
    },
  ],
  [
    "OCR without text takes a location token as text",
    "ocr",
    "<loc_0><loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>",
    {
      quad_boxes: [[1.2, 1.5, 2.8, 2.7, 4.4, 3.9, 6.0, 5.1]],
      labels: ["<loc_0>"],
    },
  ],
  [
    "U+2028 does not end an OCR line (Python '.')",
    "ocr",
    "</s><s>a\u2028b<loc_0><loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7></s>",
    {
      quad_boxes: [[0.4, 0.9, 2.0, 2.1, 3.6, 3.3, 5.2, 4.5]],
      labels: ["a\u2028b"],
    },
  ],
  [
    "open vocabulary with <poly>: every phrase is a polygon instance",
    "description_with_bboxes_or_polygons",
    "</s><s>cat<poly><loc_1><loc_2><loc_3><loc_4></poly>dog<loc_1><loc_2><loc_3><loc_4></s>",
    {
      bboxes: [],
      bboxes_labels: [],
      polygons: [[[1.2, 1.5, 2.8, 2.7]], [[1.2, 1.5, 2.8, 2.7]]],
      polygons_labels: ["cat", "dog"],
    },
  ],
];

describe("reference quirks (native processor outputs)", () => {
  it.each(QUIRKS)("%s", (_name, kind, decoded, want) => {
    const got = referenceShape(kind, decoded, { width: 800, height: 600 });
    expect(withoutNumbers(got)).toEqual(withoutNumbers(want));
    const w = numbersOf(want);
    numbersOf(got).forEach((g, i) => {
      expect(g).toBeCloseTo(w[i] as number, 9);
    });
  });

  it("region proposals ignore text and give empty labels and text spans", () => {
    const [box] = parseBoxes("</s><s>junk<loc_1><loc_2><loc_3><loc_4></s>", { allowEmptyPhrase: true });
    expect(box).toMatchObject({ label: "", bins: [1, 2, 3, 4], textSpans: [] });
  });

  it.each(["", "</s><s></s>", "no locations", "<loc_1><loc_2><loc_3>", "<loc_x><loc_2><loc_3><loc_4>", "<<<<>>>"])(
    "junk %j gives no boxes",
    (d) => {
      expect(parseBoxes(d)).toEqual([]);
      expect(parseBoxes(d, { allowEmptyPhrase: true })).toEqual([]);
      expect(parseOcr(d)).toEqual([]);
    },
  );
});

describe("parsePolygons", () => {
  const decoded =
    "</s><s><poly><loc_1><loc_2><loc_3><loc_4><sep><loc_5><loc_6><loc_7></poly><poly><loc_8><loc_9><loc_10><loc_11></poly></s>";

  it("splits <poly> instances and <sep> polygons, dropping an unpaired last bin", () => {
    expect(parsePolygons(decoded, { allowEmptyPhrase: true }).map((i) => i.polygons)).toEqual([
      [
        [1, 2, 3, 4],
        [5, 6],
      ],
      [[8, 9, 10, 11]],
    ]);
  });

  it("an instance's spans are the location tokens it used (not the dropped one, not <sep>)", () => {
    const [first, second] = parsePolygons(decoded, { allowEmptyPhrase: true });
    expect(textOf(decoded, first?.locationSpans ?? [])).toBe("<loc_1>|<loc_2>|<loc_3>|<loc_4>|<loc_5>|<loc_6>");
    expect(textOf(decoded, second?.locationSpans ?? [])).toBe("<loc_8>|<loc_9>|<loc_10>|<loc_11>");
  });

  it("a phrase is required unless allowed empty; its span is recorded", () => {
    const d = "</s><s>a dog<poly><loc_1><loc_2><loc_3><loc_4></poly></s>";
    const [inst] = parsePolygons(d);
    expect(inst?.label).toBe("a dog");
    expect(textOf(d, inst?.textSpans ?? [])).toBe("a dog");
    expect(parsePolygons("</s><s><loc_1><loc_2><loc_3><loc_4></s>")).toEqual([]);
  });

  it.each(["", "</s><s></s>", "<loc_1><loc_2><loc_3>", "<poly><loc_1></poly>x"])("junk %j gives no instances", (d) => {
    expect(parsePolygons(d, { allowEmptyPhrase: true })).toEqual([]);
  });
});

describe("parseOcr", () => {
  const decoded =
    "</s><s> HELLO <loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>WORLD<loc_9><loc_10><loc_11><loc_12><loc_13><loc_14><loc_15><loc_16></s>";

  it("gives trimmed text, eight bins and the spans of both", () => {
    const lines = parseOcr(decoded);
    expect(lines.map((l) => [l.text, l.bins])).toEqual([
      ["HELLO", [1, 2, 3, 4, 5, 6, 7, 8]],
      ["WORLD", [9, 10, 11, 12, 13, 14, 15, 16]],
    ]);
    expect(textOf(decoded, lines[0]?.textSpans ?? [])).toBe("HELLO");
    expect(textOf(decoded, lines[0]?.locationSpans ?? [])).toBe(
      "<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>",
    );
  });
});

describe("parseOpenVocabulary", () => {
  it("boxes unless the answer has <poly>", () => {
    expect(parseOpenVocabulary("</s><s>cat<loc_1><loc_2><loc_3><loc_4></s>")).toMatchObject({
      boxes: [{ label: "cat" }],
      instances: [],
    });
  });
});

describe("pure text", () => {
  it("reference answer keeps echoed location tokens; ours removes them", () => {
    const d = "</s><s> dog<loc_120><loc_300><loc_480><loc_890></s>";
    expect(parsePureText(d).text).toBe("dog<loc_120><loc_300><loc_480><loc_890>");
    const answer = parseAnswerText(d);
    expect(answer.text).toBe("dog");
    expect(textOf(d, answer.textSpans)).toBe("dog");
  });

  it("removes padding and trims, keeping inner newlines and non-ASCII", () => {
    expect(parsePureText("</s><s>Ein Hund\nauf dem Sofa – 犬</s><pad><pad>").text).toBe("Ein Hund\nauf dem Sofa – 犬");
  });

  it("location tokens in the middle leave the surrounding text as is", () => {
    expect(parseAnswerText("</s><s>a <loc_1>b</s>").text).toBe("a b");
  });
});

describe("binsToBox", () => {
  it.each<[string, [number, number, number, number], object]>([
    ["in order", [0, 0, 999, 999], { x1: 0.006, y1: 0.0045, x2: 11.994, y2: 8.9955 }],
    ["inverted in x", [999, 0, 0, 999], { x1: 0.006, y1: 0.0045, x2: 11.994, y2: 8.9955 }],
    ["inverted in y", [0, 999, 999, 0], { x1: 0.006, y1: 0.0045, x2: 11.994, y2: 8.9955 }],
    ["inverted in both", [999, 999, 0, 0], { x1: 0.006, y1: 0.0045, x2: 11.994, y2: 8.9955 }],
    ["degenerate", [500, 500, 500, 500], { x1: 6.006, y1: 4.5045, x2: 6.006, y2: 4.5045 }],
  ])("%s", (_name, bins, box) => {
    expect(binsToBox(bins, { width: 12, height: 9 })).toEqual(box);
  });
});
