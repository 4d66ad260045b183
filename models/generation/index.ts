/** The Florence-2 decoding loop: greedy and HF-exact beam search over a batch of requests. */
export { createSearch, generate } from "./batch-decoder.js";
export { BeamSearch } from "./beam-search.js";
export {
  type DecodingOptions,
  decodingDefaults,
  type EarlyStopping,
  makeDecodingOptions,
} from "./decoding-options.js";
export { argmax, GreedySearch } from "./greedy.js";
export { applyLogitsProcessors, bannedNgramTokens, type ProcessorOptions } from "./logits-processors.js";
export type {
  DecodeRequest,
  DecodeResult,
  DecoderStepInput,
  DecoderStepper,
  Search,
  SearchRow,
  StepLogits,
  StopReason,
  TokenEvent,
} from "./types.js";
