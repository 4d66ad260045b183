/** StreamConfig.change_threshold validation: what is accepted as is and what is refused, with the fix named. */
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { RequestLimits } from "../../core/limits.js";
import { StreamFramesRequestSchema } from "../../gen/florence/v1/frames_pb.js";
import { Task } from "../../gen/florence/v1/task_pb.js";
import { isFlorenceError } from "../../models/errors.js";
import { toStreamSettings } from "../../server/stream-settings.js";

const LIMITS: RequestLimits = {
  maxNewTokens: 1024,
  maxNumBeams: 8,
  maxImagesPerRequest: 16,
  maxTasksPerRequest: 8,
  maxFramesInFlightPerStream: 4,
};

const first = (changeThreshold?: number) =>
  create(StreamFramesRequestSchema, {
    message: {
      case: "config",
      value: { task: { task: Task.CAPTION }, ...(changeThreshold === undefined ? {} : { changeThreshold }) },
    },
  });

describe("StreamConfig.change_threshold", () => {
  it.each([
    ["unset", undefined, 0],
    ["0 (off)", 0, 0],
    ["0.02", 0.02, Math.fround(0.02)],
    ["0.999", 0.999, Math.fround(0.999)],
  ])("accepts %s", (_name, threshold, expected) => {
    // The wire carries a float: the server sees the float32 nearest to what the client sent.
    const sent = threshold === undefined ? undefined : Math.fround(threshold);
    expect(toStreamSettings(first(sent), LIMITS).changeThreshold).toBe(expected);
  });

  it.each([[-0.01], [1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    "refuses %s as invalid_argument on config.change_threshold",
    (threshold) => {
      let error: unknown;
      try {
        toStreamSettings(first(threshold), LIMITS);
      } catch (e) {
        error = e;
      }
      expect(isFlorenceError(error) && error.kind).toBe("invalid_argument");
      if (!isFlorenceError(error)) return;
      expect(error.violations.map((v) => v.field)).toEqual(["config.change_threshold"]);
      expect(error.message).toContain("below 1");
    },
  );
});
