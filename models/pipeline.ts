/**
 * The one place that knows the order of the Florence-2 stages (spec §0):
 *   per call: validate -> decode + resize images -> build prompts -> tokenize -> queue
 *   per batch (items of many calls, see scheduler/): vision encoder (once per distinct image, or
 *     from the vision cache) -> embed prompts -> encoder -> decoder search (greedy / beam)
 *   per call: detokenize -> post-process into typed results.
 * It runs on the thread that calls it and blocks it during model passes: use it inside a worker
 * (see worker/), never on a server's main thread.
 */
import type { FlorenceEngine, ModelInfo, TaskRequest } from "./engine.js";
import type { EngineOptions } from "./engine-options.js";
import { callbackError, FlorenceError } from "./errors.js";
import { createOrtDecoderStepper, type DecodeRequest, type DecodeResult, type DecoderStepper, decodingDefaults, generate } from "./generation/index.js";
import { type PreparedImage, parseImagePreprocessConfig, prepareImage, toPixelValues } from "./image/index.js";
import type { GenerationOptions, ImageInput } from "./inputs.js";
import { type FlorenceSessions, loadSessions } from "./loading/index.js";
import { toTaskResult } from "./postprocess/index.js";
import { buildPrompt } from "./prompts.js";
import { checkTextLength, checkUnusedInputs, taskOf, validateDecodingParams } from "./request-validation.js";
import type { TaskResult } from "./results.js";
import { BatchScheduler, type ItemOutcome } from "./scheduler/batch-scheduler.js";
import { encodeBatch, encodeImages } from "./stages/encode.js";
import { type BatchStageTimes, callTimings } from "./stages/timings.js";
import { type ImageFeatures, VisionFeatureCache, visionCacheKey } from "./stages/vision-cache.js";
import { TASK_NAMES, type TaskSpec } from "./tasks.js";
import { type FlorenceTokenizer, loadTokenizer } from "./tokenizer.js";

export type LocalEngineOptions = Omit<EngineOptions, "onDownloadProgress"> & {
  /** What the user asked for (e.g. "florence-2-base"), reported in ModelInfo; default the folder. */
  readonly modelId?: string;
  /**
   * Called before every model pass of a batch, and when a call starts. A worker thread's event
   * loop is blocked during a batch, so it polls its shared cancellation flags here (see
   * worker/worker-main.ts); at a call's start this drops a call whose caller gave up (or whose
   * deadline passed) while its message waited for the worker, before its images are decoded.
   */
  readonly beforeStep?: () => void;
};

/** One (task, image) pair of a call, ready for the model: what the scheduler batches. */
interface PreparedItem {
  readonly spec: TaskSpec;
  readonly image: PreparedImage;
  /** Vision-cache key of the resized image: equal keys share one vision-encoder pass. */
  readonly imageKey: string;
  readonly inputIds: readonly number[];
  readonly decode: DecodeRequest;
}

/** What a batch answers for each item: its decoded tokens and the batch's stage times. */
interface BatchedDecode {
  readonly decoded: DecodeResult;
  readonly batch: BatchStageTimes;
}

/** Florence-2's reference configuration decodes with 3 beams unless a request says otherwise. */
const DEFAULT_NUM_BEAMS = 3;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FlorenceError("cancelled", "the request was cancelled");
}

/** Model passes run so far, for EngineStats. */
interface PassCounters {
  decoderSteps: number;
  decoderRows: number;
  visionImages: number;
}

/** A stepper that counts passes and calls `hook` before every step (the worker polls cancellation there). */
function instrumented(stepper: DecoderStepper, counters: PassCounters, hook: (() => void) | undefined): DecoderStepper {
  return {
    step(input) {
      hook?.();
      counters.decoderSteps++;
      counters.decoderRows += input.tokens.length;
      return stepper.step(input);
    },
  };
}

export async function createLocalEngine(options: LocalEngineOptions): Promise<FlorenceEngine> {
  const loaded: FlorenceSessions = await loadSessions(options.model, {
    dtype: options.dtype,
    executionProvider: options.executionProvider,
    intraOpNumThreads: options.intraOpNumThreads,
  });
  let tokenizer: FlorenceTokenizer;
  try {
    tokenizer = await loadTokenizer(options.model);
  } catch (e) {
    await loaded.release();
    throw e;
  }
  const { config, contract, sessions } = loaded;
  const imageConfig = parseImagePreprocessConfig(config.preprocessor.raw, "preprocessor_config.json");
  if (tokenizer.vocabSize !== contract.decoder.vocabSize) {
    await loaded.release();
    throw new FlorenceError(
      "model_load",
      `${options.model}: tokenizer.json has ${tokenizer.vocabSize} tokens but the decoder's logits have ${contract.decoder.vocabSize} columns; the tokenizer does not belong to this model`,
    );
  }
  const imageTokens = contract.vision.imageTokens ?? config.preprocessor.imageSeqLength ?? 577;
  const maxPromptTokens = config.text.maxPositionEmbeddings - imageTokens;
  // Decoder positions: the encoder and decoder share max_position_embeddings in Florence-2.
  const decoderPositions = config.text.maxPositionEmbeddings;
  const info: ModelInfo = {
    id: options.modelId ?? options.model,
    path: loaded.dir,
    dtype: typeof options.dtype === "string" ? options.dtype : "fp32",
    executionProvider: loaded.executionProvider,
    tasks: TASK_NAMES,
    imageSize: imageConfig.size,
    vocabSize: contract.decoder.vocabSize,
    decoderLayers: contract.decoder.layers,
    maxPromptTokens,
    maxNewTokens: decoderPositions,
    // Every prompt holds `<s>` and `</s>` besides the text's own tokens.
    maxTextBytes: Math.max(0, maxPromptTokens - 2) * tokenizer.maxTokenBytes,
  };
  const encoderSessions = { vision: sessions.vision_encoder, embed: sessions.embed_tokens, encoder: sessions.encoder_model, contract };
  const gen = config.generation;
  const visionCache = new VisionFeatureCache(options.visionCacheBytes);
  const modelKey = `${loaded.dir}#${info.dtype}`;
  const counters: PassCounters = { decoderSteps: 0, decoderRows: 0, visionImages: 0 };
  // On CPU a vision batch is no cheaper per image than one image alone (four took 3.3 s each, one
  // 2.5 s; BENCHMARKS.md) and holds every image's activations at once: one image per pass there.
  const visionBatchSize = options.visionBatchSize > 0 ? options.visionBatchSize : loaded.executionProvider === "cpu" ? 1 : 8;
  const encoderBatchSize = options.encoderBatchSize > 0 ? options.encoderBatchSize : loaded.executionProvider === "cpu" ? 1 : options.maxBatchSize;

  async function prepareAll(images: readonly ImageInput[]): Promise<PreparedImage[]> {
    const imageLimits = { maxPixels: options.maxImagePixels, maxBytes: 256 * 1024 * 1024 };
    const prepared: PreparedImage[] = [];
    for (const [i, image] of images.entries()) {
      try {
        prepared.push(await prepareImage(image, imageConfig, imageLimits));
      } catch (e) {
        if (e instanceof FlorenceError && e.kind === "invalid_image" && images.length > 1) {
          throw new FlorenceError(e.kind, `images[${i}]: ${e.message}`, { cause: e, violations: [{ field: `images[${i}]`, description: e.message }] });
        }
        throw e;
      }
    }
    return prepared;
  }

  function promptIds(spec: TaskSpec, request: TaskRequest, image: PreparedImage): number[] {
    const input = { ...(request.text !== undefined ? { text: request.text } : {}), ...(request.region !== undefined ? { region: request.region } : {}) };
    const ids = tokenizer.encode(buildPrompt(spec, input, image.originalSize));
    if (ids.length > info.maxPromptTokens) {
      throw new FlorenceError("invalid_argument", `the prompt is ${ids.length} tokens long; this model accepts at most ${info.maxPromptTokens}. Shorten the text input`, {
        violations: [{ field: "text", description: `at most ${info.maxPromptTokens} tokens` }],
      });
    }
    return ids;
  }

  function decodeRequest(itemIndex: number, options: GenerationOptions): DecodeRequest {
    const onToken = options.onToken;
    return {
      options: {
        ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
        ...(options.minNewTokens !== undefined ? { minNewTokens: options.minNewTokens } : {}),
        ...(options.numBeams !== undefined ? { numBeams: options.numBeams } : {}),
        ...(options.lengthPenalty !== undefined ? { lengthPenalty: options.lengthPenalty } : {}),
        ...(options.earlyStopping !== undefined ? { earlyStopping: options.earlyStopping } : {}),
        ...(options.noRepeatNgramSize !== undefined ? { noRepeatNgramSize: options.noRepeatNgramSize } : {}),
      },
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(onToken !== undefined
        ? { onToken: (t: { id: number }) => onToken({ id: t.id, text: tokenizer.decode([t.id]), imageIndex: itemIndex }) }
        : {}),
    };
  }

  function toResult(item: PreparedItem, decoded: DecodeResult): TaskResult {
    const pieces = tokenizer.decodePieces(decoded.tokens);
    const text = pieces.map((p) => p.text).join("");
    // logprobs[i] belongs to tokens[i + 1]; the decoder start token was given, not generated.
    const scored = pieces.map((p, i) => ({ text: p.text, logprob: i === 0 ? 0 : (decoded.logprobs[i - 1] ?? 0) }));
    return toTaskResult(item.spec, text, scored, item.image.originalSize, decoded.tokens.length - 1);
  }

  /**
   * Vision features of the batch's distinct images, [images, tokens, d], from the cache where it
   * has them and from vision-encoder passes of `visionBatchSize` images over the rest. Returns
   * each item's image index, and the wall time of the vision-encoder passes (0 when all were cached).
   */
  async function visionFeatures(items: readonly PreparedItem[]): Promise<{ features: ImageFeatures; imageIndex: number[]; passMs: number }> {
    const keys: string[] = [];
    const imageIndex = items.map((item) => {
      const at = keys.indexOf(item.imageKey);
      if (at >= 0) return at;
      keys.push(item.imageKey);
      return keys.length - 1;
    });
    const images = keys.map((key) => items.find((item) => item.imageKey === key)!.image);
    const found = keys.map((key) => visionCache.get(key));
    const missing = found.flatMap((f, i) => (f === undefined ? [i] : []));
    let passMs = 0;
    if (missing.length > 0) {
      const { height, width } = imageConfig.size;
      for (let start = 0; start < missing.length; start += visionBatchSize) {
        const chunk = missing.slice(start, start + visionBatchSize);
        const pixelValues = toPixelValues(chunk.map((i) => images[i]!.resized), imageConfig);
        const passStart = performance.now();
        const encoded = await encodeImages(encoderSessions, pixelValues, [chunk.length, 3, height, width]);
        passMs += performance.now() - passStart;
        counters.visionImages += chunk.length;
        const size = encoded.tokens * encoded.dModel;
        chunk.forEach((i, m) => {
          const one = { data: encoded.data.slice(m * size, (m + 1) * size), tokens: encoded.tokens, dModel: encoded.dModel };
          visionCache.set(keys[i]!, one);
          found[i] = one;
        });
        options.beforeStep?.();
      }
    }
    const { tokens, dModel } = found[0]!;
    const data = new Float32Array(keys.length * tokens * dModel);
    found.forEach((f, i) => {
      data.set(f!.data, i * tokens * dModel);
    });
    return { features: { data, tokens, dModel }, imageIndex, passMs };
  }

  /** The model stages for one batch of items from any number of calls. */
  async function runBatch(items: readonly PreparedItem[]): Promise<ItemOutcome<BatchedDecode>[]> {
    const startedAt = performance.now();
    options.beforeStep?.();
    const live = items.filter((item) => item.decode.signal?.aborted !== true);
    const decoded = new Map<PreparedItem, DecodeResult>();
    let visionMs = 0;
    let encoderMs = 0;
    let decoderMs = 0;
    if (live.length > 0) {
      const { features, imageIndex, passMs } = await visionFeatures(live);
      const visionEnd = performance.now();
      visionMs = passMs;
      options.beforeStep?.();
      const encoded = await encodeBatch(
        encoderSessions,
        features,
        live.map((item, i) => ({ imageIndex: imageIndex[i]!, inputIds: item.inputIds })),
        tokenizer.specialIds.pad,
        encoderBatchSize,
      );
      const encoderEnd = performance.now();
      encoderMs = encoderEnd - visionEnd;
      const stepper = createOrtDecoderStepper({
        embedTokens: sessions.embed_tokens,
        decoder: sessions.decoder_model_merged,
        encoderHiddenStates: encoded.hiddenStates,
        encoderAttentionMask: encoded.attentionMask,
      });
      const results = await generate(
        instrumented(stepper, counters, options.beforeStep),
        live.map((item) => item.decode),
        {
          maxNewTokens: Math.min(decodingDefaults.maxNewTokens, info.maxNewTokens),
          numBeams: DEFAULT_NUM_BEAMS,
          noRepeatNgramSize: gen.noRepeatNgramSize,
          forcedBosTokenId: gen.forcedBosTokenId,
          forcedEosTokenId: gen.forcedEosTokenId,
          eosTokenId: gen.eosTokenId,
          decoderStartTokenId: gen.decoderStartTokenId,
          earlyStopping: true,
          lengthPenalty: gen.lengthPenalty,
        },
        decoderPositions,
      );
      decoderMs = performance.now() - encoderEnd;
      live.forEach((item, i) => {
        decoded.set(item, results[i]!);
      });
    }
    const batch: BatchStageTimes = { startedAt, endedAt: performance.now(), visionMs, encoderMs, decoderMs };
    return items.map((item) => {
      const result = decoded.get(item);
      if (result === undefined || result.stopReason === "cancelled") {
        return { ok: false, error: new FlorenceError("cancelled", "the request was cancelled") };
      }
      return { ok: true, value: { decoded: result, batch } };
    });
  }

  const scheduler = new BatchScheduler<PreparedItem, BatchedDecode>(runBatch, {
    maxBatchSize: options.maxBatchSize,
    maxDelayMs: options.maxDelayMs,
  });

  /** One call: validate and prepare here, queue its items for a batch, post-process its answers. */
  async function runCall(
    pairs: readonly { readonly spec: TaskSpec; readonly request: TaskRequest; readonly imageIndex: number }[],
    images: readonly ImageInput[],
    callOptions: GenerationOptions,
  ): Promise<TaskResult[]> {
    // A caller that gave up while this call's message waited for the worker: stop before any work.
    options.beforeStep?.();
    throwIfAborted(callOptions.signal);
    validateDecodingParams(callOptions, requestLimits);
    const perTask = pairs.length > 1 && images.length === 1;
    for (const [i, pair] of pairs.entries()) {
      checkUnusedInputs(pair.spec, pair.request);
      // Per image, every pair holds the same request: one check is enough.
      if (perTask || i === 0) checkTextLength(pair.request.text, info.maxTextBytes, perTask ? `tasks[${i}].text` : "text");
    }
    const started = performance.now();
    const prepared = await prepareAll(images);
    const keys = prepared.map((p) => visionCacheKey(modelKey, p.resized));
    // One failed item fails the call, so its other items must stop at once instead of decoding
    // for an answer nobody will read: they run under this call's own signal, aborted on the
    // first failure as well as by the caller.
    const failed = new AbortController();
    const signal = callOptions.signal === undefined ? failed.signal : AbortSignal.any([callOptions.signal, failed.signal]);
    const itemOptions = { ...callOptions, signal };
    const items: PreparedItem[] = pairs.map((pair, i) => {
      const image = prepared[pair.imageIndex]!;
      return { spec: pair.spec, image, imageKey: keys[pair.imageIndex]!, inputIds: promptIds(pair.spec, pair.request, image), decode: decodeRequest(i, itemOptions) };
    });
    throwIfAborted(callOptions.signal);
    const rows = callOptions.numBeams ?? DEFAULT_NUM_BEAMS;
    const submittedAt = performance.now();
    const answers = await Promise.all(
      items.map((item) =>
        scheduler.submit(item, { lane: callOptions.lane, rows, signal }).catch((e: unknown) => {
          failed.abort();
          throw e;
        }),
      ),
    );
    const answered = performance.now();
    const results = items.map((item, i) => toResult(item, answers[i]!.decoded));
    const timings = callTimings(
      submittedAt,
      answers.map((a) => a.batch),
      { preprocessMs: submittedAt - started, postprocessMs: performance.now() - answered },
    );
    try {
      callOptions.onTimings?.(timings);
    } catch (e) {
      throw callbackError("onTimings", e);
    }
    return results;
  }

  const requestLimits = { maxNewTokens: Math.min(options.maxNewTokensLimit, info.maxNewTokens), maxNumBeams: options.maxBeams };
  let closed = false;

  return {
    info,
    async run(request, images, callOptions = {}) {
      if (closed) throw new FlorenceError("unavailable", "the engine is closed");
      if (images.length === 0) {
        throw new FlorenceError("invalid_argument", "no images given; pass at least one image", { violations: [{ field: "images", description: "at least one image" }] });
      }
      const spec = taskOf(request);
      return runCall(images.map((_, imageIndex) => ({ spec, request, imageIndex })), images, callOptions);
    },
    async runTasks(requests, image, callOptions = {}) {
      if (closed) throw new FlorenceError("unavailable", "the engine is closed");
      if (requests.length === 0) {
        throw new FlorenceError("invalid_argument", "no tasks given; pass at least one task", { violations: [{ field: "tasks", description: "at least one task" }] });
      }
      const pairs = requests.map((request, i) => ({ spec: taskOf(request, `tasks[${i}]`), request, imageIndex: 0 }));
      return runCall(pairs, [image], callOptions);
    },
    async stats() {
      const s = scheduler.getStats();
      return { batches: s.batches, batchedItems: s.items, largestBatch: s.largestBatch, queuedItems: s.queued, ...counters, visionCache: visionCache.stats() };
    },
    async close() {
      if (closed) return;
      closed = true;
      scheduler.close(new FlorenceError("unavailable", "the engine is shutting down"));
      await loaded.release();
    },
  };
}
