/**
 * core/ spells the proto's enum values in lower case (TASK_OBJECT_DETECTION -> "object_detection"),
 * and the client relies on it: it takes its names from core/ and converts them by name. These
 * checks fail when the proto and core/ drift apart.
 */
import type { DescEnum } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RAW_PIXEL_CHANNELS } from "../../core/inputs.js";
import { CAPTION_TASKS, DETECTION_TASKS } from "../../core/shortcuts.js";
import { TASK_NAMES } from "../../core/tasks.js";
import { CaptionGranularitySchema, DetectionLabelsModeSchema } from "../../gen/florence/v1/florence_service_pb.js";
import { PixelFormatSchema } from "../../gen/florence/v1/image_pb.js";
import { TaskSchema } from "../../gen/florence/v1/task_pb.js";

/** The lower-case names of an enum's values without the prefix and the zero value. */
function lowerNames(desc: DescEnum): string[] {
  return desc.values.filter((v) => v.number !== 0).map((v) => v.localName.toLowerCase());
}

describe("proto enum names are core's names", () => {
  it.each([
    ["Task", TaskSchema, [...TASK_NAMES]],
    ["CaptionGranularity", CaptionGranularitySchema, Object.keys(CAPTION_TASKS)],
    ["DetectionLabelsMode", DetectionLabelsModeSchema, Object.keys(DETECTION_TASKS)],
    ["PixelFormat", PixelFormatSchema, Object.keys(RAW_PIXEL_CHANNELS)],
  ] as const)("%s", (_name, desc, names) => {
    expect(lowerNames(desc)).toEqual(names);
  });
});
