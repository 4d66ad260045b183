import { describe, expect, it } from "vitest";
import {
  errorText,
  type FormValues,
  grpcCodeName,
  parseSettings,
  timingRows,
  UI_TASKS,
  uiDefaults,
} from "./settings.js";

const ORIGIN = "http://127.0.0.1:50051";
const FORM: FormValues = {
  task: "object_detection",
  text: "",
  maxNewTokens: "16",
  numBeams: "1",
  protocol: "connect",
  token: "",
  serverUrl: "",
};

describe("UI_TASKS", () => {
  it("offers every task that needs no region, labelled with its token", () => {
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
      "open_vocabulary_detection",
    ]);
    expect(UI_TASKS.find((t) => t.name === "object_detection")?.label).toBe("Object detection <OD>");
    expect(UI_TASKS.filter((t) => t.input === "text").map((t) => t.name)).toEqual([
      "phrase_grounding",
      "referring_expression_segmentation",
      "open_vocabulary_detection",
    ]);
    expect(UI_TASKS.map((t) => t.name)).toContain(uiDefaults.task);
  });
});

describe("parseSettings", () => {
  it("reads a complete form, the page's own server when Server is blank", () => {
    expect(parseSettings(FORM, ORIGIN)).toEqual({
      ok: true,
      settings: { task: "object_detection", maxNewTokens: 16, numBeams: 1, protocol: "connect", baseUrl: ORIGIN },
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
        protocol: "connect",
        token: "t0k",
        baseUrl: "https://f2.example.com",
      },
    });
    expect(parseSettings({ ...FORM, text: "ignored" }, ORIGIN)).not.toHaveProperty("settings.text");
  });

  it.each([
    [{ task: "region_to_category" }, 'Task "region_to_category" is not one this page offers'],
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
