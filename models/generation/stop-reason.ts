import type { DecodingOptions } from "./decoding-options.js";
import type { StopReason } from "./types.js";

/**
 * Why a finished sequence ended. An EOS at max_length while forced EOS is on is the forced one, so
 * that is a truncation ("max_new_tokens"), not a natural end.
 */
export function stopReasonOf(
  tokens: readonly number[],
  options: Readonly<DecodingOptions>,
  cancelled: boolean,
): StopReason {
  if (cancelled) return "cancelled";
  const atMaxLength = tokens.length >= 1 + options.maxNewTokens;
  const endsWithEos = tokens.length > 1 && tokens[tokens.length - 1] === options.eosTokenId;
  if (endsWithEos && !(atMaxLength && options.forcedEosTokenId === options.eosTokenId)) return "eos";
  return "max_new_tokens";
}
