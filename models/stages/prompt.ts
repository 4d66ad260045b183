/**
 * The per-call prompt stage: a task's prompt for one image, as token ids, refused when it does
 * not fit the encoder's positions (docs/florence2-contract.md#3-prompts).
 */
import type { TaskRequest } from "../engine.js";
import { FlorenceError } from "../errors.js";
import type { ImageSize } from "../image/index.js";
import { buildPrompt } from "../prompts.js";
import type { TaskSpec } from "../tasks.js";
import type { FlorenceTokenizer } from "../tokenizer.js";

export function promptIds(
  tokenizer: Pick<FlorenceTokenizer, "encode">,
  spec: TaskSpec,
  request: TaskRequest,
  imageSize: ImageSize,
  maxPromptTokens: number,
): number[] {
  const input = {
    ...(request.text !== undefined ? { text: request.text } : {}),
    ...(request.region !== undefined ? { region: request.region } : {}),
  };
  const ids = tokenizer.encode(buildPrompt(spec, input, imageSize));
  if (ids.length > maxPromptTokens) {
    throw new FlorenceError(
      "invalid_argument",
      `the prompt is ${ids.length} tokens long; this model accepts at most ${maxPromptTokens}. Shorten the text input`,
      {
        violations: [{ field: "text", description: `at most ${maxPromptTokens} tokens` }],
      },
    );
  }
  return ids;
}
