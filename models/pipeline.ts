/**
 * The one place that knows the order of the Florence-2 stages (spec §0):
 *   validate -> decode + resize images -> build prompts -> tokenize -> vision encoder (once per
 *   distinct image) -> embed prompts -> encoder -> decoder search (greedy / beam, batched)
 *   -> detokenize -> post-process into typed results.
 * It runs on the thread that calls it and blocks it during model passes: use it inside a worker
 * (see worker/), never on a server's main thread.
 */
import type { FlorenceEngine, ModelInfo, TaskRequest } from "./engine.js";
import type { EngineOptions } from "./engine-options.js";
import { FlorenceError } from "./errors.js";
import { createOrtDecoderStepper, type DecodeRequest, type DecodeResult, generate } from "./generation/index.js";
import { type PreparedImage, parseImagePreprocessConfig, prepareImage, toPixelValues } from "./image/index.js";
import type { GenerationOptions, ImageInput } from "./inputs.js";
import { type FlorenceSessions, loadSessions } from "./loading/index.js";
import { toTaskResult } from "./postprocess/to-result.js";
import { buildPrompt } from "./prompts.js";
import { checkUnusedInputs, taskOf, validateGenerationOptions } from "./request-validation.js";
import type { TaskResult } from "./results.js";
import { encodeBatch, encodeImages } from "./stages/encode.js";
import { TASK_NAMES, type TaskSpec } from "./tasks.js";
import { type FlorenceTokenizer, loadTokenizer } from "./tokenizer.js";

export type LocalEngineOptions = Omit<EngineOptions, "onDownloadProgress"> & {
  /** What the user asked for (e.g. "florence-2-base"), reported in ModelInfo; default the folder. */
  readonly modelId?: string;
};

/** One (task, image) pair of a call. */
interface WorkItem {
  readonly spec: TaskSpec;
  readonly request: TaskRequest;
  readonly imageIndex: number;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FlorenceError("cancelled", "the request was cancelled");
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
  const info: ModelInfo = {
    id: options.modelId ?? options.model,
    path: loaded.dir,
    dtype: typeof options.dtype === "string" ? options.dtype : "fp32",
    executionProvider: loaded.executionProvider,
    tasks: TASK_NAMES,
    imageSize: imageConfig.size,
    vocabSize: contract.decoder.vocabSize,
    decoderLayers: contract.decoder.layers,
    maxPromptTokens: config.text.maxPositionEmbeddings - imageTokens,
  };
  const encoderSessions = { vision: sessions.vision_encoder, embed: sessions.embed_tokens, encoder: sessions.encoder_model, contract };
  const gen = config.generation;

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

  function promptIds(item: WorkItem, image: PreparedImage): number[] {
    const input = { ...(item.request.text !== undefined ? { text: item.request.text } : {}), ...(item.request.region !== undefined ? { region: item.request.region } : {}) };
    const ids = tokenizer.encode(buildPrompt(item.spec, input, image.originalSize));
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

  function toResult(item: WorkItem, decoded: DecodeResult, image: PreparedImage): TaskResult {
    const pieces = tokenizer.decodePieces(decoded.tokens);
    const text = pieces.map((p) => p.text).join("");
    // logprobs[i] belongs to tokens[i + 1]; the decoder start token was given, not generated.
    const scored = pieces.map((p, i) => ({ text: p.text, logprob: i === 0 ? 0 : (decoded.logprobs[i - 1] ?? 0) }));
    return toTaskResult(item.spec, text, scored, image.originalSize, decoded.tokens.length - 1);
  }

  async function runItems(items: readonly WorkItem[], images: readonly ImageInput[], options: GenerationOptions): Promise<TaskResult[]> {
    validateGenerationOptions(options, requestLimits);
    for (const item of items) checkUnusedInputs(item.spec, item.request);
    const prepared = await prepareAll(images);
    const inputIds = items.map((item) => promptIds(item, prepared[item.imageIndex]!));
    throwIfAborted(options.signal);

    const pixelValues = toPixelValues(prepared.map((p) => p.resized), imageConfig);
    const { height, width } = imageConfig.size;
    const features = await encodeImages(encoderSessions, pixelValues, [prepared.length, 3, height, width]);
    throwIfAborted(options.signal);
    const encoded = await encodeBatch(
      encoderSessions,
      features,
      items.map((item, i) => ({ imageIndex: item.imageIndex, inputIds: inputIds[i]! })),
      tokenizer.specialIds.pad,
    );
    throwIfAborted(options.signal);

    const stepper = createOrtDecoderStepper({
      embedTokens: sessions.embed_tokens,
      decoder: sessions.decoder_model_merged,
      encoderHiddenStates: encoded.hiddenStates,
      encoderAttentionMask: encoded.attentionMask,
    });
    const decoded = await generate(
      stepper,
      items.map((_, i) => decodeRequest(i, options)),
      {
        numBeams: 3,
        noRepeatNgramSize: gen.noRepeatNgramSize,
        forcedBosTokenId: gen.forcedBosTokenId,
        forcedEosTokenId: gen.forcedEosTokenId,
        eosTokenId: gen.eosTokenId,
        decoderStartTokenId: gen.decoderStartTokenId,
        earlyStopping: true,
        lengthPenalty: gen.lengthPenalty,
      },
    );
    if (decoded.some((d) => d.stopReason === "cancelled")) throw new FlorenceError("cancelled", "the request was cancelled");
    return items.map((item, i) => toResult(item, decoded[i]!, prepared[item.imageIndex]!));
  }

  const requestLimits = { maxNewTokensLimit: options.maxNewTokensLimit, maxBeams: options.maxBeams };
  let closed = false;

  return {
    info,
    async run(request, images, callOptions = {}) {
      if (closed) throw new FlorenceError("unavailable", "the engine is closed");
      if (images.length === 0) {
        throw new FlorenceError("invalid_argument", "no images given; pass at least one image", { violations: [{ field: "images", description: "at least one image" }] });
      }
      const spec = taskOf(request);
      return runItems(images.map((_, imageIndex) => ({ spec, request, imageIndex })), images, callOptions);
    },
    async runTasks(requests, image, callOptions = {}) {
      if (closed) throw new FlorenceError("unavailable", "the engine is closed");
      if (requests.length === 0) {
        throw new FlorenceError("invalid_argument", "no tasks given; pass at least one task", { violations: [{ field: "tasks", description: "at least one task" }] });
      }
      const items = requests.map((request, i) => ({ spec: taskOf(request, `tasks[${i}]`), request, imageIndex: 0 }));
      return runItems(items, [image], callOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      await loaded.release();
    },
  };
}
