import { describe, expect, it } from "vitest";
import { TASK_NAMES } from "../core/tasks.js";
import { CaptionGranularity, DetectionLabelsMode } from "../gen/florence/v1/florence_service_pb.js";
import { PixelFormatSchema } from "../gen/florence/v1/image_pb.js";
import { ExecutionProviderSchema, ModelDtypeSchema } from "../gen/florence/v1/model_service_pb.js";
import { Task, TaskSchema } from "../gen/florence/v1/task_pb.js";
import {
  captionTaskOf,
  DTYPE_BY_NAME,
  describeEnumValues,
  detectionTaskOf,
  EXECUTION_PROVIDER_BY_NAME,
  PIXEL_FORMAT_BY_NAME,
  pixelFormatNameOf,
  TASK_BY_NAME,
  taskNameOf,
} from "./enums.js";

/** The proto value name our name should map to: "object_detection" -> "TASK_OBJECT_DETECTION". */
const protoName = (prefix: string, name: string) => `${prefix}_${name.toUpperCase()}`;
const nameOf = (values: readonly { number: number; name: string }[], n: number) =>
  values.find((v) => v.number === n)?.name;

describe("enum tables", () => {
  it("map every task to the proto value of the same name, both ways", () => {
    for (const name of TASK_NAMES) {
      expect(nameOf(TaskSchema.values, TASK_BY_NAME[name])).toBe(protoName("TASK", name));
      expect(taskNameOf(TASK_BY_NAME[name])).toBe(name);
    }
    // Every non-zero proto value has a task.
    expect(TaskSchema.values.filter((v) => v.number !== 0).map((v) => taskNameOf(v.number))).not.toContain(undefined);
    expect(taskNameOf(Task.UNSPECIFIED)).toBeUndefined();
  });

  it("map pixel formats, dtypes and providers to the proto values of the same name", () => {
    for (const [name, value] of Object.entries(PIXEL_FORMAT_BY_NAME)) {
      expect(nameOf(PixelFormatSchema.values, value)).toBe(protoName("PIXEL_FORMAT", name));
      expect(pixelFormatNameOf(value)).toBe(name);
    }
    for (const [name, value] of Object.entries(DTYPE_BY_NAME)) {
      expect(nameOf(ModelDtypeSchema.values, value)).toBe(protoName("MODEL_DTYPE", name));
    }
    for (const [name, value] of Object.entries(EXECUTION_PROVIDER_BY_NAME)) {
      expect(nameOf(ExecutionProviderSchema.values, value)).toBe(protoName("EXECUTION_PROVIDER", name));
    }
  });

  it("describes valid values without the zero value unless asked", () => {
    expect(describeEnumValues(PixelFormatSchema)).toBe(
      "PIXEL_FORMAT_RGB (1), PIXEL_FORMAT_BGR (2), PIXEL_FORMAT_RGBA (3), PIXEL_FORMAT_BGRA (4), PIXEL_FORMAT_GRAY (5)",
    );
    expect(describeEnumValues(PixelFormatSchema, true)).toMatch(/^PIXEL_FORMAT_UNSPECIFIED \(0\), /);
  });
});

describe("shortcut enums -> tasks (core/shortcuts.ts)", () => {
  it.each([
    [CaptionGranularity.UNSPECIFIED, "caption"],
    [CaptionGranularity.NORMAL, "caption"],
    [CaptionGranularity.DETAILED, "detailed_caption"],
    [CaptionGranularity.VERY_DETAILED, "more_detailed_caption"],
    [99 as CaptionGranularity, undefined],
  ])("caption granularity %i -> %s", (granularity, task) => {
    expect(captionTaskOf(granularity)).toBe(task);
  });

  it.each([
    [DetectionLabelsMode.UNSPECIFIED, "object_detection"],
    [DetectionLabelsMode.CLASSES, "object_detection"],
    [DetectionLabelsMode.CAPTIONS, "dense_region_caption"],
    [DetectionLabelsMode.ROIS, "region_proposal"],
    [-1 as DetectionLabelsMode, undefined],
  ])("labels mode %i -> %s", (mode, task) => {
    expect(detectionTaskOf(mode)).toBe(task);
  });
});
