import { describe, expect, it } from "vitest";
import {
  errorText,
  type FormValues,
  formatRegion,
  grpcCodeName,
  parseRegion,
  parseSettings,
  regionFromDrag,
  timingRows,
  UI_TASKS,
  uiDefaults,
} from "./settings.js";

const ORIGIN = "http://127.0.0.1:50051";
const FORM: FormValues = {
  task: "object_detection",
  text: "",
  region: "",
  maxNewTokens: "16",
  numBeams: "1",
  stream: false,
  protocol: "connect",
  token: "",
  serverUrl: "",
};

describe("UI_TASKS", () => {
  it("offers every task, labelled with its token, with the input each needs", () => {
    expect(UI_TASKS.map((t) => t.name)).toEqual([
      "caption",
      "detailed_caption",
      "more_detailed_caption",
      "object_detection",
      "dense_region_caption",
      "region_proposal",
      "ocr",
      "ocr_with_region",
      "phrase_grounding",
      "referring_expression_segmentation",
      "region_to_segmentation",
      "open_vocabulary_detection",
      "region_to_category",
      "region_to_description",
      "region_to_ocr",
    ]);
    expect(UI_TASKS.find((t) => t.name === "object_detection")?.label).toBe("Object detection <OD>");
    expect(UI_TASKS.filter((t) => t.input === "text").map((t) => t.name)).toEqual([
      "phrase_grounding",
      "referring_expression_segmentation",
      "open_vocabulary_detection",
    ]);
    expect(UI_TASKS.filter((t) => t.input === "region").map((t) => t.name)).toEqual([
      "region_to_segmentation",
      "region_to_category",
      "region_to_description",
      "region_to_ocr",
    ]);
    expect(UI_TASKS.map((t) => t.name)).toContain(uiDefaults.task);
  });
});

describe("parseRegion", () => {
  it.each([
    ["10, 20, 30, 40", [10, 20, 30, 40]],
    [" 10 20 30 40 ", [10, 20, 30, 40]],
    ["0,0,1.5,2", [0, 0, 1.5, 2]],
  ] as const)("reads %j", (text, region) => {
    expect(parseRegion(text)).toEqual(region);
  });

  it.each([
    ["", "empty"],
    ["10, 20, 30", "three numbers"],
    ["10, 20, 30, 40, 50", "five numbers"],
    ["a, 20, 30, 40", "not a number"],
    ["-1, 20, 30, 40", "negative"],
    ["30, 20, 10, 40", "x1 > x2"],
    ["10, 40, 30, 40", "no height"],
  ])("refuses %j (%s), saying what a region is", (text) => {
    expect(parseRegion(text)).toBe(
      `Region must be four numbers x1, y1, x2, y2 in image pixels with x1 < x2 and y1 < y2 (drag a box on the image), got ${JSON.stringify(text)}`,
    );
  });

  it("formatRegion writes what parseRegion reads", () => {
    expect(parseRegion(formatRegion([1, 2, 300, 400]))).toEqual([1, 2, 300, 400]);
  });
});

describe("regionFromDrag", () => {
  const image = { width: 100, height: 50 };
  it.each([
    ["top-left to bottom-right", { x: 10.4, y: 5.6 }, { x: 20.2, y: 30.9 }, [10, 5, 21, 31]],
    ["bottom-right to top-left", { x: 20, y: 30 }, { x: 10, y: 5 }, [10, 5, 20, 30]],
    ["past the edges: clamped to the image", { x: -5, y: -5 }, { x: 150, y: 80 }, [0, 0, 100, 50]],
    ["a click (no area)", { x: 10, y: 10 }, { x: 10, y: 10 }, undefined],
    ["a line (no height)", { x: 10, y: 10 }, { x: 40, y: 10 }, undefined],
    ["wholly outside the image", { x: 120, y: 10 }, { x: 130, y: 20 }, undefined],
  ] as const)("%s", (_name, from, to, region) => {
    expect(regionFromDrag(from, to, image)).toEqual(region);
  });
});

describe("parseSettings", () => {
  it("reads a complete form, the page's own server when Server is blank", () => {
    expect(parseSettings(FORM, ORIGIN)).toEqual({
      ok: true,
      settings: {
        task: "object_detection",
        maxNewTokens: 16,
        numBeams: 1,
        stream: false,
        protocol: "connect",
        baseUrl: ORIGIN,
      },
    });
  });

  it("keeps text for text tasks only, and a token and another server when given", () => {
    const parsed = parseSettings(
      { ...FORM, task: "phrase_grounding", text: " a cup ", token: " t0k ", serverUrl: "https://f2.example.com/" },
      ORIGIN,
    );
    expect(parsed).toEqual({
      ok: true,
      settings: {
        task: "phrase_grounding",
        text: "a cup",
        maxNewTokens: 16,
        numBeams: 1,
        stream: false,
        protocol: "connect",
        token: "t0k",
        baseUrl: "https://f2.example.com",
      },
    });
    expect(parseSettings({ ...FORM, text: "ignored" }, ORIGIN)).not.toHaveProperty("settings.text");
  });

  it.each([
    [{ task: "zoom" }, 'Task "zoom" is not one this page offers'],
    [{ task: "region_to_category", region: "" }, "Region must be four numbers x1, y1, x2, y2"],
    [{ task: "open_vocabulary_detection", text: "  " }, "needs text: fill in the Text field"],
    [{ maxNewTokens: "" }, 'Max new tokens must be a whole number of at least 1, got ""'],
    [{ maxNewTokens: "2.5" }, "Max new tokens must be a whole number"],
    [{ numBeams: "0" }, 'Beams must be a whole number of at least 1, got "0"'],
    [{ protocol: "grpc" }, 'Protocol must be Connect or gRPC-Web, got "grpc"'],
    [{ serverUrl: "localhost:50051" }, "Server must be an http:// or https:// URL"],
    [{ serverUrl: "not a url" }, "Server must be a URL such as"],
  ] as const)("refuses %o: %s", (change, problem) => {
    const parsed = parseSettings({ ...FORM, ...change }, ORIGIN);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems.join("\n")).toContain(problem);
  });

  it("passes the stream box through", () => {
    expect(parseSettings({ ...FORM, stream: true }, ORIGIN)).toMatchObject({ ok: true, settings: { stream: true } });
  });

  it("keeps a region for region tasks only", () => {
    const parsed = parseSettings({ ...FORM, task: "region_to_description", region: "1, 2, 30, 40" }, ORIGIN);
    expect(parsed).toMatchObject({ ok: true, settings: { task: "region_to_description", region: [1, 2, 30, 40] } });
    expect(parseSettings({ ...FORM, region: "1, 2, 30, 40" }, ORIGIN)).not.toHaveProperty("settings.region");
  });

  it("names every problem at once, in the form's order", () => {
    const parsed = parseSettings({ ...FORM, maxNewTokens: "x", numBeams: "-1", protocol: "" }, ORIGIN);
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.split(" ")[0])).toEqual(["Max", "Beams", "Protocol"]);
  });
});

describe("timingRows", () => {
  it("puts the round trip first, then the stages the server reported", () => {
    expect(timingRows(12.345, { queueMs: 0, modelMs: 10, decoderMs: 7.25 })).toEqual([
      ["Round trip", "12.3 ms"],
      ["Server queue", "0.0 ms"],
      ["Model (engine call)", "10.0 ms"],
      ["Decoder", "7.3 ms"],
    ]);
    expect(timingRows(5, undefined)).toEqual([["Round trip", "5.0 ms"]]);
  });
});

describe("error text", () => {
  it.each([
    ["InvalidArgument", "INVALID_ARGUMENT"],
    ["Unauthenticated", "UNAUTHENTICATED"],
    ["ResourceExhausted", "RESOURCE_EXHAUSTED"],
    ["DeadlineExceeded", "DEADLINE_EXCEEDED"],
  ])("%s is spelled %s", (name, want) => {
    expect(grpcCodeName(name)).toBe(want);
  });

  it("shows the code's name, its number and the message", () => {
    expect(errorText(16, "Unauthenticated", "missing token")).toBe("UNAUTHENTICATED (16): missing token");
    expect(errorText(2, undefined, "boom")).toBe("UNKNOWN (2): boom");
  });
});
