/** The Florence-2 decoding loop: greedy and HF-exact beam search over a batch of requests. */
export { capAtPositions, generate } from "./batch-decoder.js";
export { BeamSearch } from "./beam-search.js";
export {
  type DecoderCacheLayout,
  emptyPastDims,
  type KvFloatType,
  type KvTensorLayout,
  readDecoderLayout,
} from "./decoder-layout.js";
export {
  type DecodingOptions,
  decodingDefaults,
  type EarlyStopping,
  makeDecodingOptions,
} from "./decoding-options.js";
export { float16ToFloat32, floatToHalfBits, halfBitsToFloat } from "./float16.js";
export { argmax, GreedySearch } from "./greedy.js";
export { castFloat, gatherRows } from "./kv-cache.js";
export { applyLogitsProcessors, bannedNgramTokens, type ProcessorOptions } from "./logits-processors.js";
export {
  createOrtDecoderStepper,
  lastPositionLogits,
  OrtDecoderStepper,
  type OrtStepperInit,
  type StepperSession,
} from "./ort-stepper.js";
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
