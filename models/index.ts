/** The Florence-2 engine: public API. */
export type { DecodingLimits } from "../core/limits.js";
export type { StageTimings } from "../core/timings.js";
export { createFlorence } from "./create.js";
export type {
  EngineAvailability,
  EngineStats,
  ExecutionProviderName,
  FlorenceEngine,
  ImageOutcome,
  ModelDtype,
  ModelInfo,
  RunTimings,
  TaskRequest,
} from "./engine.js";
export { type EngineOptions, type EngineOptionsInit, engineDefaults, makeEngineOptions } from "./engine-options.js";
export {
  type FieldViolation,
  FlorenceError,
  type FlorenceErrorKind,
  isFlorenceError,
  toFlorenceError,
} from "./errors.js";
export {
  type CaptionGranularity,
  type CaptionOptions,
  type DetectOptions,
  Florence,
  type Images,
  type LabelsMode,
  openVocabularyToDetections,
} from "./florence.js";
export { type ImageSize, probeImageSize } from "./image/index.js";
export type {
  CallOptions,
  DecodingParams,
  EncodedImage,
  GeneratedToken,
  GenerationOptions,
  ImageInput,
  PathImage,
  RawImage,
  RawPixelFormat,
  RawPixels,
  Region,
} from "./inputs.js";
export { createLocalEngine, type LocalEngineOptions } from "./pipeline.js";
export type * from "./results.js";
export { findTask, isTaskName, TASK_NAMES, TASKS, type TaskName, type TaskSpec } from "./tasks.js";
