/**
 * The last per-call stage: an item's generated tokens back to text, post-processed into its
 * typed result (docs/florence2-contract.md#8-post-processing), with per-token confidences.
 */
import type { DecodeResult } from "../generation/index.js";
import type { ImageSize } from "../image/index.js";
import { toTaskResult } from "../postprocess/index.js";
import type { TaskResult } from "../results.js";
import type { TaskSpec } from "../tasks.js";
import type { FlorenceTokenizer } from "../tokenizer.js";

export function toItemResult(
  tokenizer: Pick<FlorenceTokenizer, "decodePieces">,
  spec: TaskSpec,
  imageSize: ImageSize,
  decoded: DecodeResult,
): TaskResult {
  const pieces = tokenizer.decodePieces(decoded.tokens);
  const text = pieces.map((p) => p.text).join("");
  // logprobs[i] belongs to tokens[i + 1]; the decoder start token was given, not generated.
  const scored = pieces.map((p, i) => ({ text: p.text, logprob: i === 0 ? 0 : (decoded.logprobs[i - 1] ?? 0) }));
  return toTaskResult(spec, text, scored, imageSize, decoded.tokens.length - 1);
}
