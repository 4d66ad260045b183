/** The task shortcuts and decoding-parameter helpers of core/, table-driven. */
import { describe, expect, it } from "vitest";
import { DECODING_PARAM_KEYS, pickDecodingParams } from "../../core/decoding.js";
import type { OpenVocabularyResult } from "../../core/results.js";
import {
  CAPTION_TASKS,
  CLASSES_TASK,
  DEFAULT_CAPTION_GRANULARITY,
  DEFAULT_LABELS_MODE,
  DETECTION_TASKS,
  joinClasses,
  openVocabularyToDetections,
} from "../../core/shortcuts.js";
import { TASKS } from "../../core/tasks.js";

describe("task shortcuts", () => {
  it.each([
    ["normal", "caption"],
    ["detailed", "detailed_caption"],
    ["very_detailed", "more_detailed_caption"],
  ] as const)("caption granularity %s runs %s", (granularity, task) => {
    expect(CAPTION_TASKS[granularity]).toBe(task);
  });

  it.each([
    ["classes", "object_detection"],
    ["captions", "dense_region_caption"],
    ["rois", "region_proposal"],
  ] as const)("labels mode %s runs %s", (mode, task) => {
    expect(DETECTION_TASKS[mode]).toBe(task);
  });

  it("defaults to a plain caption and category names; classes run a task that takes text", () => {
    expect(CAPTION_TASKS[DEFAULT_CAPTION_GRANULARITY]).toBe("caption");
    expect(DETECTION_TASKS[DEFAULT_LABELS_MODE]).toBe("object_detection");
    expect(TASKS[CLASSES_TASK].input).toBe("text");
  });

  it.each([
    [["cat"], "cat"],
    [["cat", " red car "], "cat<and>red car"],
    [["  ", "dog", ""], "dog"],
    [[], ""],
    [[" ", "\t"], ""],
  ])("joinClasses(%j) = %j", (classes, joined) => {
    expect(joinClasses(classes)).toBe(joined);
  });

  it("folds open-vocabulary polygon instances into detections with their box", () => {
    const box = { x1: 1, y1: 2, x2: 3, y2: 4 };
    const mask = { size: [4, 3] as const, counts: [12] };
    const r: OpenVocabularyResult = {
      kind: "open_vocabulary",
      task: "open_vocabulary_detection",
      imageSize: { width: 3, height: 4 },
      rawText: "x",
      generatedTokens: 5,
      detections: [{ label: "a", box, confidence: 0.25 }],
      instances: [{ label: "b", polygons: [], box, mask, confidence: 0.5 }],
    };
    expect(openVocabularyToDetections(r)).toEqual({
      kind: "detections",
      task: "open_vocabulary_detection",
      imageSize: { width: 3, height: 4 },
      rawText: "x",
      generatedTokens: 5,
      detections: [
        { label: "a", box, confidence: 0.25 },
        { label: "b", box, confidence: 0.5 },
      ],
    });
  });
});

describe("pickDecodingParams", () => {
  it.each([
    ["nothing set", {}, {}],
    ["decoding fields only", { numBeams: 1, earlyStopping: false }, { numBeams: 1, earlyStopping: false }],
    [
      "call options dropped",
      { maxNewTokens: 9, signal: new AbortController().signal, lane: "x", onToken: () => {} },
      { maxNewTokens: 9 },
    ],
    [
      "zero and false kept",
      { minNewTokens: 0, noRepeatNgramSize: 0, lengthPenalty: 0 },
      { minNewTokens: 0, noRepeatNgramSize: 0, lengthPenalty: 0 },
    ],
  ])("%s", (_name, options, expected) => {
    expect(pickDecodingParams(options)).toEqual(expected);
  });

  it("knows the six parameters of task.proto's GenerationOptions", () => {
    expect([...DECODING_PARAM_KEYS].sort()).toEqual([
      "earlyStopping",
      "lengthPenalty",
      "maxNewTokens",
      "minNewTokens",
      "noRepeatNgramSize",
      "numBeams",
    ]);
  });
});
