/** readModelConfig: the typed, camelCase view of a model folder's config.json, generation_config.json and preprocessor_config.json. */
import type { GenerationDefaults } from "./generation-config.js";
import { GENERATION_CONFIG_FILE, parseGenerationDefaults } from "./generation-config.js";
import { readJsonFile, requiredObject } from "./json-fields.js";
import type { PreprocessorConfig } from "./preprocessor-config.js";
import { PREPROCESSOR_CONFIG_FILE, parsePreprocessorConfig } from "./preprocessor-config.js";
import type { ModelJsonConfig } from "./text-config.js";
import { CONFIG_FILE, parseModelJsonConfig } from "./text-config.js";

export interface ModelConfig extends ModelJsonConfig {
  readonly generation: GenerationDefaults;
  readonly preprocessor: PreprocessorConfig;
}

/**
 * Reads the three config files of `dir`. Fails with FlorenceError("model_load") naming the file and
 * field when a required file or field is missing or malformed, or the model is not Florence-2.
 * Oddities that are handled (contradicting top-level token ids) are listed in `warnings`.
 */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const configJson = await readJsonFile(dir, CONFIG_FILE, true);
  const generationJson = await readJsonFile(dir, GENERATION_CONFIG_FILE, false);
  const preprocessorJson = await readJsonFile(dir, PREPROCESSOR_CONFIG_FILE, true);
  const model = parseModelJsonConfig(configJson);
  const textJson = requiredObject(configJson, "text_config", { file: CONFIG_FILE, prefix: "" });
  return {
    ...model,
    generation: parseGenerationDefaults(model.text, textJson, generationJson),
    preprocessor: parsePreprocessorConfig(preprocessorJson),
  };
}
