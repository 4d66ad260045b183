/**
 * Loading the models for `serve`: each one's first load once, failing with the load error's own
 * message (the default model's: exit status 1), or with --retry-load until it loads, backing off
 * between attempts, while the server answers NOT_SERVING. Failures that no retry can fix (a model
 * spec that names nothing) fail at once. Later loads (after an unload or a failed load) are tried
 * once each: the request that needs the model gets the error, and the next one tries again.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ModelInfo } from "../core/model-info.js";
import type { FlorenceEngine } from "../models/engine.js";
import { createFlorence, engineDefaults, FlorenceError, isFlorenceError, toFlorenceError } from "../models/index.js";
import { externalDataFiles, MODEL_FILES, onnxFilePath } from "../models/loading/index.js";
import { createProgressBar } from "../models/hub/index.js";
import { type FlorenceServer, type Logger, prepareServer } from "../server/index.js";
import type { ModelSource } from "../server/model-registry.js";
import { engineSettings, LISTEN_AFTER_LOAD_FLAG, RETRY_LOAD_FLAG } from "./command-flags.js";
import { readSwitch } from "./flag-table.js";
import { checkDefaultModel, parseModelSpecs, parseServerFlags } from "./server-flags.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadRetryOptions {
  /** Keep trying after a failure. Default false: the first failure is final. */
  readonly retry: boolean;
  /** Wait after the first failure; doubles after each further one. Default 1000. */
  readonly firstDelayMs: number;
  /** Longest wait between attempts. Default 60000. */
  readonly maxDelayMs: number;
  /** Stops retrying (the server is closing): the load fails with `cancelled`. Default none. */
  readonly signal: AbortSignal | undefined;
  /** Told of each failure that will be retried, and after how long. Default none. */
  readonly onRetry: ((error: FlorenceError, attempt: number, delayMs: number) => void) | undefined;
}

export const loadRetryDefaults: Readonly<LoadRetryOptions> = {
  retry: false,
  firstDelayMs: 1000,
  maxDelayMs: 60_000,
  signal: undefined,
  onRetry: undefined,
};

/** Kinds a later attempt cannot fix. */
const FINAL_KINDS = new Set(["invalid_argument", "cancelled"]);

/** The wait before attempt `attempt + 1` (attempts count from 1). */
export function retryDelayMs(attempt: number, options: Pick<LoadRetryOptions, "firstDelayMs" | "maxDelayMs">): number {
  return Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** (attempt - 1));
}

/** Runs `load` until it succeeds or fails for good; every failure leaves as a FlorenceError. */
export async function loadWithRetry<T>(load: () => Promise<T>, init: Partial<LoadRetryOptions> = {}): Promise<T> {
  const options = { ...loadRetryDefaults, ...init };
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (e) {
      const error = toFlorenceError(e);
      if (!options.retry || FINAL_KINDS.has(error.kind) || options.signal?.aborted === true) throw error;
      const delay = retryDelayMs(attempt, options);
      options.onRetry?.(error, attempt, delay);
      try {
        await sleep(delay, undefined, options.signal === undefined ? {} : { signal: options.signal });
      } catch {
        throw new FlorenceError(
          "cancelled",
          `stopped retrying to load the model after ${attempt} attempt(s): ${error.message}`,
        );
      }
    }
  }
}

/**
 * The error to hand the server for a failed load: the same kind and message, with a stack that is
 * only that text, because the server logs a load failure's stack and the caller-facing message is
 * the useful part (the network library's stack names neither the host nor what to do).
 */
export function withoutStack(e: unknown): FlorenceError {
  const error = isFlorenceError(e) ? e : toFlorenceError(e);
  const plain = new FlorenceError(error.kind, error.message, { violations: error.violations });
  Object.defineProperty(plain, "stack", { value: `${error.kind}: ${error.message}` });
  return plain;
}

/**
 * The bytes a loaded model counts against --model-memory-mb: its four ONNX graphs (with their
 * external data) as on disk, times its workers, each of which holds its own copy. A stand-in for
 * its memory: the process's RSS cannot be split between the models of one process.
 */
export function modelFileBytes(info: Pick<ModelInfo, "path" | "dtype">, workers: number): number {
  let files: string[];
  try {
    files = readdirSync(join(info.path, "onnx")).map((f) => `onnx/${f}`);
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const graph of MODEL_FILES) {
    const path = onnxFilePath(graph, info.dtype);
    for (const file of [path, ...externalDataFiles(path, files)]) {
      try {
        bytes += statSync(join(info.path, file)).size;
      } catch {
        // A file the engine did not need (another precision's) is not counted.
      }
    }
  }
  return bytes * workers;
}

/** What `serve` loads each model with. */
export interface ModelLoading<E extends FlorenceEngine> {
  /** Loads the model from `source` (createFlorence with the serve flags' engine options). */
  readonly create: (source: string) => Promise<E>;
  /** Inference workers per model (each holds a copy of the model). */
  readonly workers: number;
  /** Retry options of each model's first load (--retry-load). */
  readonly retry: Partial<LoadRetryOptions>;
  /** Told of each load that failed for good, with the error the server answers with. */
  readonly onLoadFailed?: (name: string, error: FlorenceError) => void;
}

/** The server's model sources for `--model` specs: each loads from its source, sized by modelFileBytes. */
export function modelSources<E extends FlorenceEngine>(
  specs: readonly { readonly name: string; readonly source: string }[],
  loading: ModelLoading<E>,
): ModelSource[] {
  return specs.map((spec) => {
    let attempted = false;
    return {
      name: spec.name,
      load: async () => {
        const first = !attempted;
        attempted = true;
        try {
          return await loadWithRetry(() => loading.create(spec.source), first ? loading.retry : { retry: false });
        } catch (e) {
          const error = withoutStack(e);
          loading.onLoadFailed?.(spec.name, error);
          throw error;
        }
      },
      sizeBytes: (engine) => modelFileBytes(engine.info, loading.workers),
    };
  });
}

/**
 * `florence2 serve` after its flags are parsed: the models of --model (parseModelSpecs), the
 * server options, --retry-load and --listen-after-load. Starts the server (which loads the default
 * model, or every model with --preload) and resolves once it is serving; its port opens at once,
 * or with --listen-after-load once the default model has loaded. A default model that cannot be loaded
 * closes the server and rejects with its load error, unless --retry-load keeps it trying.
 */
export async function serveModels(values: Readonly<Record<string, unknown>>, env: Env): Promise<void> {
  const server = parseServerFlags(values, env);
  const specs = parseModelSpecs(values, env);
  checkDefaultModel(server.options.defaultModel, specs);
  const retry = readSwitch(values, RETRY_LOAD_FLAG, env) ?? false;
  const listenAfterLoad = readSwitch(values, LISTEN_AFTER_LOAD_FLAG, env) ?? false;
  // The engine options of the model flags; each model sets its own source.
  const base = engineSettings({ ...values, model: specs[0]!.source }, env);
  const closing = new AbortController();
  let running: FlorenceServer | undefined;
  const log: Logger = (entry) => running?.options.logger(entry);
  const failures = new Map<string, unknown>();
  const models = modelSources(specs, {
    create: (source) => {
      const bar = createProgressBar(process.stderr);
      return createFlorence({ ...base, model: source, onDownloadProgress: bar.onProgress }).finally(bar.finish);
    },
    workers: base.workers ?? engineDefaults.workers,
    retry: {
      retry,
      signal: closing.signal,
      onRetry: (error, attempt, delayMs) =>
        log({
          level: "error",
          msg: `model failed to load (attempt ${attempt}); --retry-load: next attempt in ${delayMs / 1000} s`,
          cause: `${error.kind}: ${error.message}`,
        }),
    },
    onLoadFailed: (name, error) => failures.set(name, error),
  });
  // The models start loading only once prepareServer has accepted the configuration (TLS files,
  // tokens, --insecure): a refused start must not leave a loading engine behind.
  const prepared = prepareServer({ ...server.options, insecure: server.insecure, models });
  running = prepared.server;
  void running.closed.then(() => closing.abort());
  if (!listenAfterLoad) await prepared.listen();
  if (await running.ready) {
    // A signal during the load has started the close: the port stays shut.
    if (listenAfterLoad && !running.closing) await prepared.listen();
    return;
  }
  // Stopped by a signal while waiting to retry: the server is already closing, which is no failure.
  if (closing.signal.aborted) return;
  await running.close();
  throw failures.get(server.options.defaultModel ?? specs[0]!.name) ?? new Error("the default model failed to load");
}
