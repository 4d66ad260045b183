/**
 * The one place that knows the order of the Florence-2 stages (docs/florence2-contract.md#1-pipeline-overview),
 * each stage a file under stages/:
 *   per call:  validate -> announce its rows to the scheduler (a forming batch waits for them) ->
 *              decode + resize images (here, or received ready from a preprocessing thread, see
 *              stages/images.ts) -> build prompts, tokenize -> queue
 *   per batch (items of many calls, see scheduler/): vision encoder (once per distinct image, or
 *              from the vision cache) -> embed prompts + encoder -> decoder search (greedy / beam)
 *   per call:  detokenize -> post-process into typed results.
 * It runs on the thread that calls it and blocks it during model passes: use it inside a worker
 * (see worker/), never on a server's main thread.
 */
import { setMaxListeners } from "node:events";
import type { FlorenceEngine, ModelInfo, TaskRequest } from "./engine.js";
import type { EngineOptions } from "./engine-options.js";
import { callbackError, FlorenceError } from "./errors.js";
import { createOrtDecoderStepper, generate } from "./generation/index.js";
import { toPixelValues } from "./image/index.js";
import type { GenerationOptions, ImageInput } from "./inputs.js";
import type { TaskResult } from "./results.js";
import { BatchScheduler } from "./scheduler/batch-scheduler.js";
import { type BatchedDecode, batchRunner, type PreparedItem } from "./stages/batch.js";
import { DEFAULT_NUM_BEAMS, decodeRequest, instrumented, type PassCounters, searchDefaults } from "./stages/decode.js";
import { encodeBatch, encodeImages } from "./stages/encode.js";
import { type CallImages, imagesFromInputs, settleImages } from "./stages/images.js";
import { loadModel, type ModelLoadOptions } from "./stages/load-model.js";
import { answerInOrder, type Outcome, prepareEach } from "./stages/outcomes.js";
import { promptIds } from "./stages/prompt.js";
import { toItemResult } from "./stages/results.js";
import { type BatchStageTimes, callTimings } from "./stages/timings.js";
import {
  type CallLimits,
  type CallMode,
  type CallPair,
  callPairs,
  throwIfAborted,
  untilAborted,
  validateCall,
} from "./stages/validate.js";
import { visionFeatures } from "./stages/vision.js";
import { VisionFeatureCache, visionCacheKey } from "./stages/vision-cache.js";
import type { FlorenceTokenizer } from "./tokenizer.js";

export type LocalEngineOptions = Omit<EngineOptions, "onDownloadProgress"> &
  ModelLoadOptions & {
    /**
     * Called before every model pass of a batch, and when a call starts. A worker thread's event
     * loop is blocked during a batch, so it polls its shared cancellation flags here (see
     * worker/worker-main.ts); at a call's start this drops a call whose caller gave up (or whose
     * deadline passed) while its message waited for the worker, before its images are decoded.
     */
    readonly beforeStep?: () => void;
  };

// Long on purpose: this is the one place that shows the stages in their order (the file comment);
// each step is a call into stages/, so splitting it would hide the order it exists to show.
/** An engine on this thread; `runCall` also takes images another thread prepares (worker/worker-main.ts). */
export interface LocalEngine extends FlorenceEngine {
  /** One call of any shape; its images decoded here (imagesFromInputs) or handed over when ready. */
  runCall(
    mode: CallMode,
    requests: readonly TaskRequest[],
    images: CallImages,
    options?: GenerationOptions,
  ): Promise<Outcome<TaskResult>[]>;
}

export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const { loaded, tokenizer, imageConfig, info, decoderPositions } = await loadModel(options);
  const { contract, sessions } = loaded;
  const beforeStep = (): void => options.beforeStep?.();
  const counters: PassCounters = { decoderSteps: 0, decoderRows: 0, visionImages: 0 };
  const visionCache = new VisionFeatureCache(options.visionCacheBytes);
  const modelKey = `${loaded.dir}#${info.dtype}`;
  const onCpu = loaded.executionProvider === "cpu";
  // On CPU a bigger pass is no cheaper per image or row and multiplies peak memory (engine-options.ts).
  const imagesPerPass = options.visionBatchSize > 0 ? options.visionBatchSize : onCpu ? 1 : 8;
  const rowsPerEncoderPass = options.encoderBatchSize > 0 ? options.encoderBatchSize : onCpu ? 1 : options.maxBatchSize;
  const encoderSessions = {
    vision: sessions.vision_encoder,
    embed: sessions.embed_tokens,
    encoder: sessions.encoder_model,
    contract,
  };
  const { height, width } = imageConfig.size;
  const defaults = searchDefaults(loaded.config.generation, info.maxNewTokens);
  const imageLimits = { maxPixels: options.maxImagePixels, maxBytes: options.maxImageBytes };
  const limits = {
    maxNewTokens: Math.min(options.maxNewTokensLimit, info.maxNewTokens),
    maxNumBeams: options.maxBeams,
    maxTextBytes: info.maxTextBytes,
  };

  const runBatch = batchRunner({
    beforeStep,
    vision: (items) =>
      visionFeatures(items, {
        cache: visionCache,
        imagesPerPass,
        toPixels: (resized) => toPixelValues(resized, imageConfig),
        encode: (pixelValues, images) => encodeImages(encoderSessions, pixelValues, [images, 3, height, width]),
        afterPass: (images) => {
          counters.visionImages += images;
          beforeStep();
        },
      }),
    encode: (features, rows) =>
      encodeBatch(encoderSessions, features, rows, tokenizer.specialIds.pad, rowsPerEncoderPass),
    decode: (encoded, requests) => {
      const stepper = createOrtDecoderStepper({
        embedTokens: sessions.embed_tokens,
        decoder: sessions.decoder_model_merged,
        encoderHiddenStates: encoded.hiddenStates,
        encoderAttentionMask: encoded.attentionMask,
        layout: contract.decoder,
      });
      return generate(instrumented(stepper, counters, options.beforeStep), requests, defaults, decoderPositions);
    },
  });
  const scheduler = new BatchScheduler<PreparedItem, BatchedDecode>(runBatch, {
    maxBatchSize: options.maxBatchSize,
    maxDelayMs: options.maxDelayMs,
    formationMs: options.batchFormationMs,
  });

  const call: CallStages = { beforeStep, tokenizer, info, limits, modelKey, scheduler };
  let closed = false;
  const open = (): void => {
    if (closed) throw new FlorenceError("unavailable", "the engine is closed");
  };
  const inputs = (images: readonly ImageInput[]) => imagesFromInputs(images, imageConfig, imageLimits);
  const runMode = (mode: CallMode, requests: readonly TaskRequest[], images: CallImages, o: GenerationOptions) => {
    open();
    return runCall(call, callPairs(mode, requests, images.count), images, o, mode === "each_image");
  };
  return {
    info,
    runCall: (mode, requests, images, callOptions = {}) => runMode(mode, requests, images, callOptions),
    async run(request: TaskRequest, images, callOptions = {}) {
      return resultsOf(await runMode("per_image", [request], inputs(images), callOptions));
    },
    runEach: (request: TaskRequest, images, callOptions = {}) =>
      runMode("each_image", [request], inputs(images), callOptions),
    async runTasks(requests, image, callOptions = {}) {
      return resultsOf(await runMode("multi_task", requests, inputs([image]), callOptions));
    },
    async stats() {
      const s = scheduler.getStats();
      return {
        batches: s.batches,
        batchedItems: s.items,
        largestBatch: s.largestBatch,
        queuedItems: s.queued,
        ...counters,
        visionCache: visionCache.stats(),
        batchSizes: scheduler.getBatchSizes(),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      scheduler.close(new FlorenceError("unavailable", "the engine is shutting down"));
      await loaded.release();
    },
  };
}

/** What a call's own stages use, besides the call itself. */
interface CallStages {
  readonly beforeStep: () => void;
  readonly tokenizer: FlorenceTokenizer;
  readonly info: ModelInfo;
  readonly limits: CallLimits;
  /** Model folder and dtype: the vision cache's keys are per model. */
  readonly modelKey: string;
  readonly scheduler: BatchScheduler<PreparedItem, BatchedDecode>;
}

/**
 * One call: validate and prepare here, queue its items for a batch, post-process its answers. One
 * outcome per pair, in order; only with `perImage` (runEach) can one be a failure: an item whose
 * image cannot be used, or whose region is outside its image, fails alone and the others run.
 */
async function runCall(
  s: CallStages,
  pairs: readonly CallPair[],
  images: CallImages,
  callOptions: GenerationOptions,
  perImage: boolean,
): Promise<Outcome<TaskResult>[]> {
  // A caller that gave up while this call's message waited for the worker: stop before any work.
  s.beforeStep();
  throwIfAborted(callOptions.signal);
  validateCall(pairs, images.count, callOptions, s.limits);
  const rows = callOptions.numBeams ?? DEFAULT_NUM_BEAMS;
  // Tell the scheduler these rows are coming, so that a batch forming now waits for them instead of
  // starting without them while their images are decoded (a burst would split at its first caller).
  const withdraw = s.scheduler.expect(pairs.length * rows);
  try {
    return await prepareAndRun(s, pairs, images, callOptions, perImage, rows, withdraw);
  } finally {
    withdraw();
  }
}

/** runCall after validation: `withdraw` ends the scheduler's announcement once the items are queued. */
async function prepareAndRun(
  s: CallStages,
  pairs: readonly CallPair[],
  images: CallImages,
  callOptions: GenerationOptions,
  perImage: boolean,
  rows: number,
  withdraw: () => void,
): Promise<Outcome<TaskResult>[]> {
  const started = performance.now();
  const prepared = settleImages(await untilAborted(images.outcomes(), callOptions.signal), perImage);
  const keys = prepared.map((p) => (p instanceof FlorenceError ? "" : visionCacheKey(s.modelKey, p.resized)));
  // One failed item fails the call, so its other items must stop at once instead of decoding for
  // an answer nobody will read: they run under the call's own signal, aborted on the first failure.
  const failed = new AbortController();
  const signal =
    callOptions.signal === undefined ? failed.signal : AbortSignal.any([callOptions.signal, failed.signal]);
  // Each of the call's items waits on it in the scheduler (a listener each, removed when the item
  // is answered): a call of more than ten images is no leak, so Node must not warn about one.
  setMaxListeners(Math.max(10, pairs.length + 1), signal);
  const items = prepareEach(
    pairs.length,
    (i): PreparedItem => {
      const { spec, request, imageIndex } = pairs[i]!;
      const image = prepared[imageIndex]!;
      if (image instanceof FlorenceError) throw image;
      const inputIds = promptIds(s.tokenizer, spec, request, image.originalSize, s.info.maxPromptTokens);
      return {
        spec,
        image,
        imageKey: keys[imageIndex]!,
        inputIds,
        decode: decodeRequest(i, { ...callOptions, signal }, (id) => s.tokenizer.decode([id]), {
          decode: (ids) => s.tokenizer.decode(ids),
          output: spec.output,
        }),
      };
    },
    perImage,
  );
  throwIfAborted(callOptions.signal);
  const submittedAt = performance.now();
  const submit = (item: PreparedItem) =>
    s.scheduler.submit(item, { lane: callOptions.lane, rows, signal }).catch((e: unknown) => {
      failed.abort();
      throw e;
    });
  const batches: BatchStageTimes[] = [];
  let answered = submittedAt;
  const outcomes = await answerInOrder(items, async (ready) => {
    const queued = Promise.all(ready.map(submit));
    withdraw();
    const answers = await queued;
    answered = performance.now();
    batches.push(...answers.map((a) => a.batch));
    return ready.map((item, i) => toItemResult(s.tokenizer, item.spec, item.image.originalSize, answers[i]!.decoded));
  });
  const postprocessMs = performance.now() - answered;
  const timings = callTimings(submittedAt, batches, { preprocessMs: submittedAt - started, postprocessMs });
  try {
    callOptions.onTimings?.(timings);
  } catch (e) {
    throw callbackError("onTimings", e);
  }
  return outcomes;
}

/** The results of a call that has no per-image failures (run, runTasks). */
function resultsOf(outcomes: readonly Outcome<TaskResult>[]): TaskResult[] {
  return outcomes.map((o) => {
    if (!o.ok) throw o.error; // unreachable: without perImage every failure fails the call
    return o.result;
  });
}
