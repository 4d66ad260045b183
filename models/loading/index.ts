/**
 * Loading a Florence-2 model folder: the files it must hold and their precisions, its configs, and
 * its four onnxruntime sessions checked against the ONNX contract (docs/onnx-contract.md). Where the
 * folder comes from (a local path or a hub download) is models/hub/.
 */
export type { DtypeSpec, FileDtypes, ModelFileName } from "./dtype.js";
export {
  availableDtypes,
  DEFAULT_DTYPE,
  DTYPE_SUFFIXES,
  describeDtypes,
  isModelDtype,
  MODEL_DTYPES,
  MODEL_FILES,
  onnxFilePath,
  onnxFilePaths,
  resolveFileDtypes,
} from "./dtype.js";
export type { ModelFileEntry } from "./model-files.js";
export { externalDataFiles, JSON_FILES, modelFileList } from "./model-files.js";
export type { ModelConfig } from "./model-config.js";
export { readModelConfig } from "./model-config.js";
export type { ModelJsonConfig, TextConfig } from "./text-config.js";
export { BART_SPECIAL_IDS, parseModelJsonConfig } from "./text-config.js";
export type { GenerationDefaults } from "./generation-config.js";
export { parseGenerationDefaults } from "./generation-config.js";
export type { PreprocessorConfig, Vec3 } from "./preprocessor-config.js";
export { parsePreprocessorConfig } from "./preprocessor-config.js";
export type {
  DecoderContract,
  Dim,
  EmbedContract,
  EncoderContract,
  FloatType,
  KvEntry,
  ModelContract,
  SessionMetadata,
  TensorSpec,
  VisionContract,
} from "./contract.js";
export { validateDecoder, validateEmbed, validateEncoder, validateVision } from "./contract.js";
export type {
  FlorenceSessions,
  GraphOptimizationLevel,
  SessionLoadOptions,
  SessionLoadOptionsInit,
} from "./sessions.js";
export {
  loadSessions,
  makeSessionLoadOptions,
  sessionLoadDefaults,
  sessionMetadata,
  toOrtSessionOptions,
} from "./sessions.js";
export { describeProviderFailure, isProviderFailure } from "./provider-errors.js";
