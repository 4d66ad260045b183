/**
 * Proto enums <-> core's string unions. Each table is a Record over the string union, so adding a
 * task, pixel format, dtype or provider to core/ fails to compile until it is mapped here.
 */
import type { DescEnum } from "@bufbuild/protobuf";
import type { RawPixelFormat } from "../core/inputs.js";
import type { ExecutionProviderName, ModelDtype as ModelDtypeName } from "../core/model-info.js";
import {
  CAPTION_TASKS,
  type CaptionGranularity as CaptionGranularityName,
  DEFAULT_CAPTION_GRANULARITY,
  DEFAULT_LABELS_MODE,
  DETECTION_TASKS,
  type LabelsMode,
} from "../core/shortcuts.js";
import type { TaskName } from "../core/tasks.js";
import { CaptionGranularity, DetectionLabelsMode } from "../gen/florence/v1/florence_service_pb.js";
import { BackpressureMode } from "../gen/florence/v1/frames_pb.js";
import { PixelFormat } from "../gen/florence/v1/image_pb.js";
import { ExecutionProvider, ModelDtype } from "../gen/florence/v1/model_service_pb.js";
import { Task } from "../gen/florence/v1/task_pb.js";

export const TASK_BY_NAME: Readonly<Record<TaskName, Task>> = {
  caption: Task.CAPTION,
  detailed_caption: Task.DETAILED_CAPTION,
  more_detailed_caption: Task.MORE_DETAILED_CAPTION,
  object_detection: Task.OBJECT_DETECTION,
  dense_region_caption: Task.DENSE_REGION_CAPTION,
  region_proposal: Task.REGION_PROPOSAL,
  ocr: Task.OCR,
  ocr_with_region: Task.OCR_WITH_REGION,
  phrase_grounding: Task.PHRASE_GROUNDING,
  referring_expression_segmentation: Task.REFERRING_EXPRESSION_SEGMENTATION,
  region_to_segmentation: Task.REGION_TO_SEGMENTATION,
  open_vocabulary_detection: Task.OPEN_VOCABULARY_DETECTION,
  region_to_category: Task.REGION_TO_CATEGORY,
  region_to_description: Task.REGION_TO_DESCRIPTION,
  region_to_ocr: Task.REGION_TO_OCR,
};

const NAME_BY_TASK: ReadonlyMap<Task, TaskName> = new Map(
  (Object.entries(TASK_BY_NAME) as [TaskName, Task][]).map(([name, task]) => [task, name]),
);

/** Our name of a proto Task; undefined for TASK_UNSPECIFIED and unknown numbers. */
export function taskNameOf(task: Task): TaskName | undefined {
  return NAME_BY_TASK.get(task);
}

export const PIXEL_FORMAT_BY_NAME: Readonly<Record<RawPixelFormat, PixelFormat>> = {
  rgb: PixelFormat.RGB,
  bgr: PixelFormat.BGR,
  rgba: PixelFormat.RGBA,
  bgra: PixelFormat.BGRA,
  gray: PixelFormat.GRAY,
};

const NAME_BY_PIXEL_FORMAT: ReadonlyMap<PixelFormat, RawPixelFormat> = new Map(
  (Object.entries(PIXEL_FORMAT_BY_NAME) as [RawPixelFormat, PixelFormat][]).map(([n, f]) => [f, n]),
);

/** Our name of a proto PixelFormat; undefined for UNSPECIFIED and unknown numbers. */
export function pixelFormatNameOf(format: PixelFormat): RawPixelFormat | undefined {
  return NAME_BY_PIXEL_FORMAT.get(format);
}

/**
 * The core name of a shortcut enum value: the proto names them as core does (DETAILED ->
 * "detailed"), so the name is derived instead of listed a second time; UNSPECIFIED means `unset`
 * (the default the proto documents), an unknown number undefined.
 */
function shortcutName<N extends string>(
  enumObject: object,
  value: number,
  names: Readonly<Record<N, unknown>>,
  unset: N,
): N | undefined {
  if (value === 0) return unset;
  const key = (enumObject as Readonly<Record<number, string | undefined>>)[value]?.toLowerCase();
  return key !== undefined && Object.hasOwn(names, key) ? (key as N) : undefined;
}

/** CaptionImage's granularity -> its task (core/shortcuts.ts); undefined for unknown numbers. */
export function captionTaskOf(granularity: CaptionGranularity): TaskName | undefined {
  const name = shortcutName<CaptionGranularityName>(
    CaptionGranularity,
    granularity,
    CAPTION_TASKS,
    DEFAULT_CAPTION_GRANULARITY,
  );
  return name === undefined ? undefined : CAPTION_TASKS[name];
}

/** DetectObjects' labels mode -> its task without classes (core/shortcuts.ts); undefined for unknown numbers. */
export function detectionTaskOf(labelsMode: DetectionLabelsMode): TaskName | undefined {
  const name = shortcutName<LabelsMode>(DetectionLabelsMode, labelsMode, DETECTION_TASKS, DEFAULT_LABELS_MODE);
  return name === undefined ? undefined : DETECTION_TASKS[name];
}

export const DTYPE_BY_NAME: Readonly<Record<ModelDtypeName, ModelDtype>> = {
  fp32: ModelDtype.FP32,
  fp16: ModelDtype.FP16,
  q8: ModelDtype.Q8,
  int8: ModelDtype.INT8,
  uint8: ModelDtype.UINT8,
  q4: ModelDtype.Q4,
  q4f16: ModelDtype.Q4F16,
  bnb4: ModelDtype.BNB4,
};

export const EXECUTION_PROVIDER_BY_NAME: Readonly<Record<ExecutionProviderName, ExecutionProvider>> = {
  cpu: ExecutionProvider.CPU,
  cuda: ExecutionProvider.CUDA,
  webgpu: ExecutionProvider.WEBGPU,
};

/**
 * "TASK_CAPTION (1), TASK_DETAILED_CAPTION (2), …": the valid values of an enum for error
 * messages, from the descriptor so it never drifts from the proto. The zero value is left out
 * unless `includeZero`.
 */
export function describeEnumValues(desc: DescEnum, includeZero = false): string {
  return desc.values
    .filter((v) => includeZero || v.number !== 0)
    .map((v) => `${v.name} (${v.number})`)
    .join(", ");
}

/** "TASK_CAPTION" for a known number, else the number itself. */
export function enumValueName(desc: DescEnum, value: number): string {
  return desc.values.find((v) => v.number === value)?.name ?? String(value);
}

/** How a stream treats frames that arrive while it is busy (see frame-pipeline.ts). */
export type BackpressureModeName = "queue" | "latest";

/** StreamConfig.backpressure -> mode; UNSPECIFIED means QUEUE (documented in the proto). */
export const BACKPRESSURE_MODE: ReadonlyMap<BackpressureMode, BackpressureModeName> = new Map<
  BackpressureMode,
  BackpressureModeName
>([
  [BackpressureMode.UNSPECIFIED, "queue"],
  [BackpressureMode.QUEUE, "queue"],
  [BackpressureMode.LATEST, "latest"],
]);
