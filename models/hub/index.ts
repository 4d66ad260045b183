/**
 * Where a model comes from: `resolveModel` turns a local folder, a short name ("florence-2-base") or
 * a Hugging Face Hub repo "owner/name" into a local folder in the onnx-community layout. Hub files
 * are downloaded into a cache (resumable, sha256-verified, reused offline), and `createProgressBar`
 * draws those downloads on a terminal. This index is the folder's API; the HTTP, URL, listing and
 * download modules behind it are internal.
 */
export type { ModelSourceKind, ModelSourceOptions, ModelSourceOptionsInit, ResolvedModel } from "./model-source.js";
export { MODEL_ALIASES, makeModelSourceOptions, modelSourceDefaults, resolveModel, toRepoId } from "./model-source.js";
export type {
  DownloadProgress,
  ProgressBar,
  ProgressBarOptions,
  ProgressCallback,
  ProgressStream,
} from "./progress.js";
export { createProgressBar, progressBarDefaults } from "./progress.js";
