/**
 * The native transformers Florence2Processor's rule for a free-form prompt string
 * (docs/florence2-contract.md#34-free-form-prompt-strings). The engine takes typed task inputs only;
 * this reference rule lives with the tests, which check it against the processor's own outputs in
 * test/fixtures/goldens/prompts.json.
 */
import { TASKS, type TaskName } from "../../core/tasks.js";
import { FlorenceError } from "../../models/errors.js";
import { pyStrip } from "../../models/postprocess/python-text.js";

/** Task tokens in the order the native processor tries them (it stops at the first one found). */
const NATIVE_NO_INPUT_ORDER: readonly TaskName[] = [
  "ocr",
  "ocr_with_region",
  "caption",
  "detailed_caption",
  "more_detailed_caption",
  "object_detection",
  "dense_region_caption",
  "region_proposal",
];
const NATIVE_WITH_INPUT_ORDER: readonly TaskName[] = [
  "phrase_grounding",
  "referring_expression_segmentation",
  "region_to_segmentation",
  "open_vocabulary_detection",
  "region_to_category",
  "region_to_description",
  "region_to_ocr",
];

/**
 * A free-form prompt string as the native processor turns it into a prompt: text without a task
 * token is used unchanged (e.g. a fine-tuned model's own question); a no-input task token must be
 * the whole text and becomes its prompt; text containing a with-input task token becomes that
 * task's template, filled with the text minus the token (every occurrence), trimmed. Region tokens
 * must already be in the text, e.g. "<REGION_TO_CATEGORY><loc_52><loc_332><loc_932><loc_774>".
 *
 * @throws FlorenceError "invalid_argument" when a no-input task token comes with other text.
 */
export function buildRawPrompt(text: string): string {
  for (const name of NATIVE_NO_INPUT_ORDER) {
    const { token, prompt } = TASKS[name];
    if (!text.includes(token)) continue;
    if (text !== token) {
      const description = `${token} takes no input, so it must be the whole prompt; got ${JSON.stringify(text)}`;
      throw new FlorenceError("invalid_argument", description, { violations: [{ field: "prompt", description }] });
    }
    return prompt;
  }
  for (const name of NATIVE_WITH_INPUT_ORDER) {
    const { token, prompt } = TASKS[name];
    // A function replacer, so "$&" in the text stays literal.
    if (text.includes(token)) return prompt.replace("{input}", () => pyStrip(text.split(token).join("")));
  }
  return text;
}
