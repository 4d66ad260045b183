/** The first message of a FlorenceService.StreamFrames stream: its StreamConfig, validated. */
import type { DecodingParams } from "../core/decoding.js";
import type { TaskRequest } from "../core/inputs.js";
import type { RequestLimits } from "../core/limits.js";
import type { StreamFramesRequest } from "../gen/florence/v1/frames_pb.js";
import { BackpressureModeSchema } from "../gen/florence/v1/frames_pb.js";
import type { BackpressureModeName } from "./enums.js";
import { BACKPRESSURE_MODE, describeEnumValues } from "./enums.js";
import { toGenerationOptions, toTaskRequest, Violations } from "./validation.js";

/** A validated StreamConfig. */
export interface StreamSettings {
  readonly task: TaskRequest;
  readonly options: DecodingParams;
  readonly mode: BackpressureModeName;
  readonly maxInFlight: number;
  /**
   * Frames whose thumbnail differs from the last inferred frame's by less than this (0..1) reuse
   * its result (frame-reuse.ts); 0 runs every frame.
   */
  readonly changeThreshold: number;
}

/** Validates the first message of a stream; throws `invalid_argument` with every violation. */
export function toStreamSettings(first: StreamFramesRequest, limits: RequestLimits): StreamSettings {
  const v = new Violations();
  if (first.message.case !== "config") {
    v.add(
      "invalid_argument",
      "config",
      "the first message must be a StreamConfig (StreamFramesRequest.config); send frames after it",
    );
    throw v.toError();
  }
  const config = first.message.value;
  let task: TaskRequest | undefined;
  if (config.task === undefined)
    v.add("invalid_argument", "config.task", "is required: set the task (and its text or region)");
  else task = toTaskRequest(config.task, "config.task.", v);
  const options = toGenerationOptions(config.options, "config.options", limits, v);
  const mode = BACKPRESSURE_MODE.get(config.backpressure);
  if (mode === undefined) {
    v.add(
      "invalid_argument",
      "config.backpressure",
      `unknown value ${config.backpressure}; use one of ${describeEnumValues(BackpressureModeSchema)}`,
    );
  }
  const maxInFlight = config.maxInFlight === 0 ? 1 : config.maxInFlight;
  if (maxInFlight > limits.maxFramesInFlightPerStream) {
    v.add(
      "invalid_argument",
      "config.max_in_flight",
      `must be at most ${limits.maxFramesInFlightPerStream} on this server, got ${maxInFlight}`,
    );
  }
  const changeThreshold = config.changeThreshold;
  if (!(changeThreshold >= 0 && changeThreshold < 1)) {
    v.add(
      "invalid_argument",
      "config.change_threshold",
      `must be at least 0 (0 runs every frame) and below 1, got ${changeThreshold}; e.g. 0.02 reuses the last result for frames that differ by under 2%`,
    );
  }
  v.throwIfAny();
  if (task === undefined || mode === undefined) throw v.toError(); // unreachable: violations recorded
  return { task, options, mode, maxInFlight, changeThreshold };
}
