/**
 * createFlorence(): the entry point for using the engine in a Node process. Resolves the model
 * (local folder, or a hub repo downloaded into the cache on this thread, where a progress bar can
 * draw), then starts the inference worker thread(s) that own the onnxruntime sessions.
 */
import { type EngineOptionsInit, makeEngineOptions } from "./engine-options.js";
import { Florence } from "./florence.js";
import { resolveModel } from "./hub/index.js";
import { createWorkerEngine } from "./worker/worker-host.js";

export async function createFlorence(init: EngineOptionsInit): Promise<Florence> {
  const options = makeEngineOptions(init);
  const resolved = await resolveModel(options.model, {
    cacheDir: options.cacheDir,
    hubBaseUrl: options.hubBaseUrl,
    revision: options.revision,
    token: options.token,
    offline: options.offline,
    dtype: options.dtype,
    progress: options.onDownloadProgress,
  });
  const { onDownloadProgress: _progress, ...workerOptions } = options;
  const engine = await createWorkerEngine(
    { options: { ...workerOptions, model: resolved.path, modelId: options.model } },
    options.workers,
  );
  return new Florence(engine);
}
