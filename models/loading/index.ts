/**
 * Loading a Florence-2 model: where it comes from (local folder, short name, hub repo; downloads
 * with resume and sha256 checks), its configs, and its four onnxruntime sessions checked against
 * the ONNX contract.
 */
export type { DtypeSpec, FileDtypes, ModelFileName } from "./dtype.js";
export { availableDtypes, DEFAULT_DTYPE, DTYPE_SUFFIXES, describeDtypes, isModelDtype, MODEL_DTYPES, MODEL_FILES, onnxFilePath, onnxFilePaths, resolveFileDtypes } from "./dtype.js";
export type { ModelFileEntry } from "./model-files.js";
export { externalDataFiles, JSON_FILES, modelFileList } from "./model-files.js";
export type { DownloadProgress, ProgressBar, ProgressBarOptions, ProgressCallback, ProgressStream } from "./progress.js";
export { createProgressBar, formatBytes, formatProgressLine, progressBarDefaults } from "./progress.js";
export type { ModelSourceKind, ModelSourceOptions, ModelSourceOptionsInit, ResolvedModel } from "./model-source.js";
export { listOnnxFiles, MODEL_ALIASES, makeModelSourceOptions, modelSourceDefaults, resolveModel, toRepoId } from "./model-source.js";
export type { CachedFileMeta, DownloadOutcome, DownloadRequest, RemoteFileInfo } from "./hub-download.js";
export { downloadFile, normalizeEtag, readCachedFile, sha256FromEtag } from "./hub-download.js";
export type { HubRequestContext, HubTarget } from "./hub-http.js";
export type { RepoListing } from "./hub-repo.js";
export { listRepoFiles } from "./hub-repo.js";
export { cacheRevisionDir, isCommitHash, isRepoId, repoInfoUrl, resolveUrl } from "./hub-url.js";
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
export { emptyPastDims, validateContract, validateDecoder, validateEmbed, validateEncoder, validateVision } from "./contract.js";
export type { FlorenceSessions, GraphOptimizationLevel, SessionLoadOptions, SessionLoadOptionsInit } from "./sessions.js";
export { loadSessions, makeSessionLoadOptions, sessionLoadDefaults, sessionMetadata, toOrtSessionOptions } from "./sessions.js";
export { describeProviderFailure, isProviderFailure } from "./provider-errors.js";
