/**
 * What a local engine runs on, loaded once: the four sessions checked against the ONNX contract,
 * the tokenizer (it must belong to the decoder: one id per logits column), the image
 * configuration, and the ModelInfo the engine reports, whose length limits follow from the
 * model's positions (docs/florence2-contract.md#7-from-prompt-to-answer).
 */
import type { ExecutionProviderName, ModelInfo } from "../engine.js";
import type { EngineOptions } from "../engine-options.js";
import { FlorenceError } from "../errors.js";
import { type ImagePreprocessConfig, type ImageSize, parseImagePreprocessConfig } from "../image/index.js";
import { type FlorenceSessions, loadSessions } from "../loading/index.js";
import { TASK_NAMES } from "../tasks.js";
import { type FlorenceTokenizer, loadTokenizer } from "../tokenizer.js";

/**
 * Image tokens per image when neither the vision graph nor preprocessor_config.json says: 577 =
 * 1 + 24 x 24 for the 768x768 input of every released checkpoint
 * (docs/onnx-contract.md#41-vision_encoder).
 */
export const FALLBACK_IMAGE_TOKENS = 577;

/** `<s>` and `</s>`: the tokens every prompt holds besides its text's own. */
const PROMPT_FRAME_TOKENS = 2;

export type ModelLoadOptions = Pick<EngineOptions, "model" | "dtype" | "executionProvider" | "intraOpNumThreads"> & {
  /** What the user asked for (e.g. "florence-2-base"), reported in ModelInfo; default the folder. */
  readonly modelId?: string;
};

export interface LoadedModel {
  readonly loaded: FlorenceSessions;
  readonly tokenizer: FlorenceTokenizer;
  readonly imageConfig: ImagePreprocessConfig;
  readonly info: ModelInfo;
  /** Decoder positions: the encoder and decoder share max_position_embeddings in Florence-2. */
  readonly decoderPositions: number;
}

/** What {@link describeModel} derives ModelInfo from. */
export interface ModelFacts {
  readonly id: string;
  readonly path: string;
  readonly dtype: EngineOptions["dtype"];
  readonly executionProvider: ExecutionProviderName;
  readonly imageSize: ImageSize;
  readonly vocabSize: number;
  readonly decoderLayers: number;
  readonly imageTokens: number;
  readonly maxPositionEmbeddings: number;
  readonly maxTokenBytes: number;
}

/**
 * ModelInfo of a loaded model. The encoder's positions hold the image tokens and the prompt, so
 * the prompt gets what the image leaves; a text of n tokens is at most n * maxTokenBytes bytes.
 */
export function describeModel(facts: ModelFacts): ModelInfo {
  const maxPromptTokens = facts.maxPositionEmbeddings - facts.imageTokens;
  return {
    id: facts.id,
    path: facts.path,
    dtype: typeof facts.dtype === "string" ? facts.dtype : "fp32",
    executionProvider: facts.executionProvider,
    tasks: TASK_NAMES,
    imageSize: facts.imageSize,
    vocabSize: facts.vocabSize,
    decoderLayers: facts.decoderLayers,
    maxPromptTokens,
    maxNewTokens: facts.maxPositionEmbeddings,
    maxTextBytes: Math.max(0, maxPromptTokens - PROMPT_FRAME_TOKENS) * facts.maxTokenBytes,
  };
}

/** Loads sessions and tokenizer; releases the sessions again when anything after them fails. */
export async function loadModel(options: ModelLoadOptions): Promise<LoadedModel> {
  const loaded = await loadSessions(options.model, {
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
  const { config, contract } = loaded;
  const imageConfig = parseImagePreprocessConfig(config.preprocessor.raw, "preprocessor_config.json");
  if (tokenizer.vocabSize !== contract.decoder.vocabSize) {
    await loaded.release();
    throw new FlorenceError(
      "model_load",
      `${options.model}: tokenizer.json has ${tokenizer.vocabSize} tokens but the decoder's logits have ${contract.decoder.vocabSize} columns; the tokenizer does not belong to this model`,
    );
  }
  const info = describeModel({
    id: options.modelId ?? options.model,
    path: loaded.dir,
    dtype: options.dtype,
    executionProvider: loaded.executionProvider,
    imageSize: imageConfig.size,
    vocabSize: contract.decoder.vocabSize,
    decoderLayers: contract.decoder.layers,
    imageTokens: contract.vision.imageTokens ?? config.preprocessor.imageSeqLength ?? FALLBACK_IMAGE_TOKENS,
    maxPositionEmbeddings: config.text.maxPositionEmbeddings,
    maxTokenBytes: tokenizer.maxTokenBytes,
  });
  return { loaded, tokenizer, imageConfig, info, decoderPositions: config.text.maxPositionEmbeddings };
}
