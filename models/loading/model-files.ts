/**
 * The files a Florence-2 model folder must hold (onnx-community layout), shared by the local-folder
 * check, the hub download and the offline cache lookup, so all three agree on what "complete" means.
 */
import type { FileDtypes } from "./dtype.js";
import { MODEL_FILES, onnxFilePaths } from "./dtype.js";

export interface ModelFileEntry {
  /** Repo-relative path with forward slashes, e.g. "onnx/encoder_model_fp16.onnx". */
  readonly path: string;
  /** A missing optional file is skipped; a missing required one fails the load. */
  readonly required: boolean;
}

/** JSON files at the folder root. generation_config.json is optional (its values then come from config.json). */
export const JSON_FILES: readonly ModelFileEntry[] = [
  { path: "config.json", required: true },
  { path: "generation_config.json", required: false },
  { path: "preprocessor_config.json", required: true },
  { path: "tokenizer.json", required: true },
  { path: "tokenizer_config.json", required: true },
];

/** Every file to fetch or check for the chosen precisions: the JSON files, then the four graphs. */
export function modelFileList(dtypes: FileDtypes): ModelFileEntry[] {
  const graphs = onnxFilePaths(dtypes);
  return [...JSON_FILES, ...MODEL_FILES.map((f) => ({ path: graphs[f], required: true }))];
}

/**
 * External-data files that belong to a graph: "x.onnx_data" and the numbered chunks
 * "x.onnx_data_1", … that large exports split into. ORT finds them next to the graph by name.
 */
export function externalDataFiles(graphPath: string, available: Iterable<string>): string[] {
  const prefix = `${graphPath}_data`;
  const isChunk = (p: string): boolean => p.startsWith(prefix) && /^_\d+$/.test(p.slice(prefix.length));
  return [...available].filter((p) => p === prefix || isChunk(p)).sort();
}
