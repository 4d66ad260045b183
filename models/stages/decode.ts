/**
 * The decoder-search stage: what each item asks of the search (its decoding parameters, signal
 * and token callback), the checkpoint's defaults for the rest, and a stepper that counts passes
 * (docs/generation.md#2-decoding-options-and-defaults).
 */
import { pickDecodingParams } from "../../core/decoding.js";
import {
  type DecodeRequest,
  type DecoderStepper,
  type DecodingOptions,
  decodingDefaults,
} from "../generation/index.js";
import type { GenerationOptions } from "../inputs.js";
import type { GenerationDefaults } from "../loading/index.js";

/** Florence-2's reference configuration decodes with 3 beams unless a request says otherwise. */
export const DEFAULT_NUM_BEAMS = 3;

/** Model passes run so far, for EngineStats. */
export interface PassCounters {
  decoderSteps: number;
  decoderRows: number;
  visionImages: number;
}

/**
 * The search options every item starts from: the checkpoint's generation config, 3 beams and
 * early stopping as the reference, and no more new tokens than the decoder has positions.
 */
export function searchDefaults(gen: GenerationDefaults, decoderPositions: number): Partial<DecodingOptions> {
  return {
    maxNewTokens: Math.min(decodingDefaults.maxNewTokens, decoderPositions),
    numBeams: DEFAULT_NUM_BEAMS,
    noRepeatNgramSize: gen.noRepeatNgramSize,
    forcedBosTokenId: gen.forcedBosTokenId,
    forcedEosTokenId: gen.forcedEosTokenId,
    eosTokenId: gen.eosTokenId,
    decoderStartTokenId: gen.decoderStartTokenId,
    earlyStopping: true,
    lengthPenalty: gen.lengthPenalty,
  };
}

/**
 * One item's request to the search: the call's decoding parameters (nothing else of its
 * options), its signal, and its token callback with the token's text and the item's index.
 */
export function decodeRequest(
  itemIndex: number,
  options: GenerationOptions,
  tokenText: (id: number) => string,
): DecodeRequest {
  const onToken = options.onToken;
  return {
    options: pickDecodingParams(options),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(onToken !== undefined
      ? { onToken: (t: { id: number }) => onToken({ id: t.id, text: tokenText(t.id), imageIndex: itemIndex }) }
      : {}),
  };
}

/** A stepper that counts passes and calls `hook` before every step (the worker polls cancellation there). */
export function instrumented(
  stepper: DecoderStepper,
  counters: PassCounters,
  hook: (() => void) | undefined,
): DecoderStepper {
  return {
    step(input) {
      hook?.();
      counters.decoderSteps++;
      counters.decoderRows += input.tokens.length;
      return stepper.step(input);
    },
  };
}
