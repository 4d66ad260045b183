/** streamFrames: frames -> StreamFramesRequest messages, and answers -> FrameAnswer objects. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BackpressureMode,
  type StreamFramesRequestSchema,
  type StreamFramesResponse,
} from "../gen/florence/v1/frames_pb.js";
import { Task } from "../gen/florence/v1/task_pb.js";
import { enumToName, nameToEnum } from "./enums.js";
import { fromTaskResult, fromTimings } from "./from-proto.js";
import type { FrameInput, StreamConfig } from "./inputs.js";
import type { FrameAnswer } from "./results.js";
import { type ReadImageFile, toGenerationOptions, toImage, toTaskInput } from "./to-proto.js";

type StreamRequestInit = MessageInitShape<typeof StreamFramesRequestSchema>;

/** uint64/int64 fields: JavaScript numbers must be safe integers to survive the round trip. */
function toInt64(value: number, field: string, min: number): bigint {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConnectError(
      `${field}: ${value} is not ${min === 0 ? "a non-negative" : "a"} safe integer`,
      Code.InvalidArgument,
    );
  }
  return BigInt(value);
}

export function toStreamConfig(config: StreamConfig): StreamRequestInit {
  return {
    message: {
      case: "config",
      value: {
        task: toTaskInput(config.task, "config.task"),
        options: toGenerationOptions(config.options ?? {}),
        backpressure: nameToEnum(
          BackpressureMode,
          config.backpressure ?? "queue",
          "config.backpressure",
        ) as BackpressureMode,
        maxInFlight: config.maxInFlight ?? 0,
        changeThreshold: config.changeThreshold ?? 0,
      },
    },
  };
}

export async function toStreamFrame(
  frame: FrameInput,
  index: number,
  readFile: ReadImageFile,
): Promise<StreamRequestInit> {
  const field = `frames[${index}]`;
  return {
    message: {
      case: "frame",
      value: {
        frameId: toInt64(frame.frameId ?? index, `${field}.frameId`, 0),
        timestampUs: toInt64(frame.timestampUs ?? 0, `${field}.timestampUs`, Number.MIN_SAFE_INTEGER),
        image: await toImage(frame.image, `${field}.image`, readFile),
        ...(frame.task === undefined ? {} : { task: toTaskInput(frame.task, `${field}.task`) }),
      },
    },
  };
}

/** The config first, then each frame as the caller produces it (frames are never buffered ahead). */
export async function* toStreamRequests(
  frames: AsyncIterable<FrameInput> | Iterable<FrameInput>,
  config: StreamConfig,
  readFile: ReadImageFile,
): AsyncGenerator<StreamRequestInit> {
  yield toStreamConfig(config);
  let index = 0;
  for await (const frame of frames) {
    yield await toStreamFrame(frame, index, readFile);
    index += 1;
  }
}

export function fromStreamResponse(r: StreamFramesResponse): FrameAnswer {
  const base = {
    frameId: Number(r.frameId),
    timestampUs: Number(r.timestampUs),
    task: enumToName(Task, r.task),
    timings: fromTimings(r.timings),
  };
  switch (r.outcome.case) {
    case "result": {
      const result = fromTaskResult(r.outcome.value);
      if (r.reused === undefined) return { ...base, kind: "result", result };
      const reusedFrom = { frameId: Number(r.reused.frameId), difference: r.reused.difference };
      return { ...base, kind: "result", result, reusedFrom };
    }
    case "skipped":
      return {
        ...base,
        kind: "skipped",
        reason: r.outcome.value.reason,
        supersededBy: Number(r.outcome.value.supersededBy),
      };
    case "error": {
      const e = r.outcome.value;
      const violations = e.fieldViolations.map((v) => ({ field: v.field, description: v.description }));
      return { ...base, kind: "error", error: { code: e.code, message: e.message, reason: e.reason, violations } };
    }
    case undefined:
      throw new ConnectError(`the server answered frame ${r.frameId} with no outcome set`, Code.Internal);
  }
}
