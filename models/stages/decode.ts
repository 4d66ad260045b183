/**
 * The decoder-search stage: what each item asks of the search (its decoding parameters, signal
 * and token callback), the checkpoint's defaults for the rest, and a stepper that counts passes
 * (docs/generation.md#2-decoding-options-and-defaults).
 */
import { pickDecodingParams } from "../../core/decoding.js";
import type { OutputKind } from "../../core/tasks.js";
import {
  type DecodeRequest,
  type DecoderStepper,
  type DecodingOptions,
  decodingDefaults,
} from "../generation/index.js";
import { FlorenceError } from "../errors.js";
import type { GenerationOptions } from "../inputs.js";
import { DEFAULT_TEXT_INTERVAL_MS, textReporter } from "./partial-text.js";
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
 * options), its signal, and its token callbacks: onToken with the token's text and the item's
 * index, onText with the item's settled text so far (`text`: how to decode and clean it, see
 * partial-text.ts).
 */
export function decodeRequest(
  itemIndex: number,
  options: GenerationOptions,
  tokenText: (id: number) => string,
  text?: { readonly decode: (ids: readonly number[]) => string; readonly output: OutputKind },
): DecodeRequest {
  const callbacks: ((t: { id: number }) => void)[] = [];
  const { onToken, onText } = options;
  if (onToken !== undefined) {
    callbacks.push((t) => onToken({ id: t.id, text: tokenText(t.id), imageIndex: itemIndex }));
  }
  if (onText !== undefined && text !== undefined) {
    const intervalMs = options.textIntervalMs ?? DEFAULT_TEXT_INTERVAL_MS;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new FlorenceError("invalid_argument", `textIntervalMs must be a number >= 0, got ${intervalMs}`);
    }
    callbacks.push(textReporter({ itemIndex, intervalMs, ...text, onText }));
  }
  return {
    options: pickDecodingParams(options),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(callbacks.length > 0
      ? {
          onToken: (t: { id: number }) => {
            for (const callback of callbacks) callback(t);
          },
        }
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
