/**
 * transformers.js (@huggingface/transformers, a dev dependency) as an independent second
 * implementation for parity tests: loaded strictly offline from a local model folder, fed tensors
 * we computed, run greedy. Test-only; nothing under models/ may import it.
 */
import {
  AutoProcessor,
  env,
  Florence2ForConditionalGeneration,
  Florence2Processor,
  type PreTrainedModel,
  Tensor,
} from "@huggingface/transformers";

/** Network attempts seen while a guard is installed; each attempt was rejected. */
export interface FetchGuard {
  /** URLs of every non-file fetch that was attempted (and refused). */
  readonly attempts: readonly string[];
  /** Puts the original fetch functions back. */
  restore(): void;
}

function urlOf(input: unknown): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  if (input instanceof Request) return input.url;
  return String(input);
}

/**
 * Makes any network use fail loudly and be recorded. transformers.js captures `fetch` once, at
 * import (`env.fetch = globalThis.fetch.bind(globalThis)`), so replacing globalThis.fetch alone
 * would not reach it: both are replaced. file: URLs go to the original fetch.
 */
export function installFetchGuard(): FetchGuard {
  const attempts: string[] = [];
  const originalGlobal = globalThis.fetch;
  const originalEnv = env.fetch;
  const guard = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    if (url.startsWith("file:")) return originalGlobal(input, init);
    attempts.push(url);
    throw new Error(`network access refused in an offline test: ${url}`);
  };
  globalThis.fetch = guard as typeof fetch;
  env.fetch = guard;
  return {
    attempts,
    restore() {
      globalThis.fetch = originalGlobal;
      env.fetch = originalEnv;
    },
  };
}

export interface TransformersJsFlorence {
  readonly model: PreTrainedModel;
  readonly processor: Florence2Processor;
}

/**
 * Loads the fp32 model and the Florence2Processor from an absolute folder path, local files only
 * (no hub, no file cache, no browser cache). Install a fetch guard first to prove it.
 */
export async function loadTransformersJs(dir: string): Promise<TransformersJsFlorence> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
  const model = await Florence2ForConditionalGeneration.from_pretrained(dir, { dtype: "fp32", local_files_only: true });
  const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
  if (!(processor instanceof Florence2Processor))
    throw new Error(`${dir}: AutoProcessor gave ${processor.constructor.name}, not Florence2Processor`);
  return { model, processor };
}

/**
 * The input_ids the processor gives for ONE prompt string (e.g. "<OD>" or
 * "<REGION_TO_CATEGORY><loc_1>..."): its text path, `tokenizer(construct_prompts(text))`, which is
 * all `processor(image, text)` does with the text, without paying for an image resize per prompt.
 * One text per call: construct_prompts() of a LIST duplicates with-input prompts (see the test).
 */
export function promptIds(processor: Florence2Processor, text: string): number[] {
  const tokenizer = processor.tokenizer;
  if (tokenizer === undefined) throw new Error("the Florence2Processor has no tokenizer");
  const { input_ids: ids } = tokenizer(processor.construct_prompts(text)) as { input_ids: unknown };
  if (!(ids instanceof Tensor)) throw new Error("the transformers.js tokenizer returned no input_ids tensor");
  const rows = ids.tolist() as bigint[][];
  if (rows.length !== 1) throw new Error(`one prompt gave ${rows.length} rows of input_ids`);
  return rows[0]!.map(Number);
}

/** One greedy generation: ONE prompt on one image. */
export interface GreedyInputs {
  readonly inputIds: readonly number[];
  /** [1, 3, H, W] as a flat CHW Float32Array. */
  readonly pixelValues: Float32Array;
  readonly imageSize: { readonly width: number; readonly height: number };
  readonly maxNewTokens: number;
  /** Overrides generation_config.json's no_repeat_ngram_size when given. */
  readonly noRepeatNgramSize?: number;
}

/**
 * Greedy generate (num_beams 1, no sampling). Returns the decoder sequence, starting with the
 * decoder start token, as transformers.js returns it. The folder's generation_config.json (forced
 * BOS, forced EOS at max_length, no_repeat_ngram_size) applies, as it does for our engine.
 */
export async function generateGreedy(model: PreTrainedModel, inputs: GreedyInputs): Promise<number[]> {
  const n = inputs.inputIds.length;
  const { width, height } = inputs.imageSize;
  const output = await model.generate({
    input_ids: new Tensor(
      "int64",
      BigInt64Array.from(inputs.inputIds, (id) => BigInt(id)),
      [1, n],
    ),
    attention_mask: new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    pixel_values: new Tensor("float32", inputs.pixelValues, [1, 3, height, width]),
    max_new_tokens: inputs.maxNewTokens,
    num_beams: 1,
    do_sample: false,
    ...(inputs.noRepeatNgramSize !== undefined ? { no_repeat_ngram_size: inputs.noRepeatNgramSize } : {}),
  });
  if (!(output instanceof Tensor))
    throw new Error("transformers.js generate() returned a ModelOutput, expected a Tensor of ids");
  const rows = output.tolist() as bigint[][];
  if (rows.length !== 1) throw new Error(`transformers.js generate() returned ${rows.length} rows for one prompt`);
  return rows[0]!.map(Number);
}

/** The rows of a padded [B, T] input_ids tensor, each cut to its attention mask. */
export function unpaddedRows(inputIds: Tensor, attentionMask: Tensor): number[][] {
  const ids = inputIds.tolist() as bigint[][];
  const mask = attentionMask.tolist() as bigint[][];
  return ids.map((row, i) => row.filter((_, j) => mask[i]![j] === 1n).map(Number));
}
