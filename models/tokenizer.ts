/**
 * The Florence-2 tokenizer: BART byte-level BPE plus the 1024 Florence tokens
 * (docs/florence2-contract.md#6-tokenizer), over
 * `@huggingface/tokenizers`, which reproduces the reference ids and texts exactly on every prompt
 * and decode case of test/fixtures/goldens/prompts.json (so no hand-written BPE).
 *
 * Loading checks that the Florence tokens are present with consecutive ids in the documented order
 * (docs/florence2-contract.md#62-special-tokens-and-ids)
 * (ids 50265..51288 in the real model); when tokenizer.json lacks them we take them from
 * tokenizer_config.json's `added_tokens_decoder` (what transformers does) or append them after the
 * vocabulary (what the original Florence2Processor does at runtime).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { FlorenceError } from "./errors.js";
import { splitDecoded, tokenBytes } from "./byte-level.js";

export { splitDecoded };

/** One generated token and the text it contributes; the texts of decodePieces() concatenate to decode(). */
export interface TokenPiece {
  readonly id: number;
  readonly text: string;
}

export interface SpecialTokenIds {
  /** `<s>`, 0 in Florence-2. Encoded prompts start with it; the decoder's first forced token. */
  readonly bos: number;
  /** `<pad>`, 1. Right-padding of batched prompts and finished beams. */
  readonly pad: number;
  /** `</s>`, 2. Ends prompts and generation. */
  readonly eos: number;
  /** First decoder input: `</s>` (2), the BART convention; config.json's decoder_start_token_id agrees. */
  readonly decoderStart: number;
}

export interface FlorenceTokenizer {
  /** Number of token ids (largest id + 1): 51289 for the released checkpoints (= logits width). */
  readonly vocabSize: number;
  readonly specialIds: SpecialTokenIds;
  /** Prompt -> ids wrapped as `<s> … </s>`, equal to the reference input_ids. No truncation. */
  encode(prompt: string): number[];
  /** Ids -> text keeping special tokens (`</s><s>car<loc_53>…`), with the configured space clean-up. */
  decode(ids: readonly number[]): string;
  /** decode() split per token; the texts concatenate exactly to decode(ids) (see {@link splitDecoded}). */
  decodePieces(ids: readonly number[]): TokenPiece[];
  /** Id of a token string (e.g. "<loc_0>"), or undefined if the vocabulary lacks it. */
  tokenId(token: string): number | undefined;
  /**
   * UTF-8 bytes of the longest vocabulary string. No token stands for more bytes of input text
   * (a byte-level token stands for one byte per character, at most its UTF-8 length; an added
   * token for exactly its content), so a text that encodes to n tokens is at most
   * n * maxTokenBytes bytes long: the bound that lets callers refuse a text by its length before
   * tokenizing it. (Whitespace swallowed by an lstrip/rstrip added token such as `<mask>` is the
   * one exception, and no real input depends on it.)
   */
  readonly maxTokenBytes: number;
}

/** The 1024 Florence tokens in id order (docs/florence2-contract.md#62-special-tokens-and-ids). */
export const FLORENCE_TOKENS: readonly string[] = [
  "<od>",
  "</od>",
  "<ocr>",
  "</ocr>",
  ...Array.from({ length: 1000 }, (_, k) => `<loc_${k}>`),
  ...["<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>", "</grounding>", "<seg>", "</seg>"],
  ...["<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>", "</region_to_desciption>"],
  ...["<proposal>", "</proposal>", "<poly>", "</poly>", "<and>"],
];

const TOKENIZER_FILE = "tokenizer.json";
const TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}
type JsonObject = Record<string, unknown>;

/**
 * Loads tokenizer.json + tokenizer_config.json from a model folder. Throws
 * FlorenceError("model_load") naming the file when one is missing, is not JSON, is not a
 * tokenizer the library supports, lacks a special token, or has misplaced Florence tokens.
 */
export async function loadTokenizer(dir: string): Promise<FlorenceTokenizer> {
  const tokenizerJson = await readJsonObject(join(dir, TOKENIZER_FILE));
  const config = await readJsonObject(join(dir, TOKENIZER_CONFIG_FILE));
  return createTokenizer(tokenizerJson, config, join(dir, TOKENIZER_FILE));
}

/** As {@link loadTokenizer}, from already parsed files; `source` names tokenizer.json in errors. */
export function createTokenizer(
  tokenizerJson: JsonObject,
  config: JsonObject,
  source = TOKENIZER_FILE,
): FlorenceTokenizer {
  const json = { ...tokenizerJson, added_tokens: withFlorenceTokens(tokenizerJson, config, source) };
  let lib: Tokenizer;
  try {
    lib = new Tokenizer(json, config);
  } catch (e) {
    throw new FlorenceError("model_load", `${source} is not a tokenizer @huggingface/tokenizers can load`, {
      cause: e,
    });
  }
  return new LibraryTokenizer(lib, json.added_tokens, config, source);
}

async function readJsonObject(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new FlorenceError("model_load", `cannot read ${path}; the model folder needs it`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FlorenceError("model_load", `${path} is not valid JSON`, { cause: e });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FlorenceError("model_load", `${path} must hold a JSON object`);
  }
  return value as JsonObject;
}

function isAddedToken(v: unknown): v is AddedTokenJson {
  const t = v as Partial<AddedTokenJson> | null;
  return typeof t === "object" && t !== null && Number.isSafeInteger(t.id) && typeof t.content === "string";
}

/** tokenizer.json's added_tokens, completed with the Florence tokens when it has none of them. */
function withFlorenceTokens(json: JsonObject, config: JsonObject, source: string): AddedTokenJson[] {
  const raw = json.added_tokens ?? [];
  if (!Array.isArray(raw) || !raw.every(isAddedToken)) {
    throw new FlorenceError("model_load", `${source}: "added_tokens" must be a list of {id, content} objects`);
  }
  const added: AddedTokenJson[] = [...raw];
  const present = new Map(added.map((t) => [t.content, t.id]));
  const found = FLORENCE_TOKENS.filter((t) => present.has(t)).length;
  if (found === 0) {
    added.push(...florenceTokensFromConfig(config, source, added, json));
  } else if (found < FLORENCE_TOKENS.length) {
    const missing = FLORENCE_TOKENS.find((t) => !present.has(t));
    throw new FlorenceError(
      "model_load",
      `${source}: only ${found} of the ${FLORENCE_TOKENS.length} Florence tokens are present (e.g. ${missing} is missing); ` +
        "use the tokenizer files of a Florence-2 checkpoint",
    );
  }
  checkFlorenceIds(new Map(added.map((t) => [t.content, t.id])), source);
  return added;
}

/** Florence tokens from tokenizer_config.json's added_tokens_decoder, else appended after the vocab. */
function florenceTokensFromConfig(
  config: JsonObject,
  source: string,
  added: readonly AddedTokenJson[],
  json: JsonObject,
): AddedTokenJson[] {
  const decoder = (config.added_tokens_decoder ?? {}) as Record<string, { content?: unknown }>;
  const fromConfig = new Map<string, number>();
  for (const [id, t] of Object.entries(decoder)) {
    if (typeof t?.content === "string") fromConfig.set(t.content, Number(id));
  }
  const model = json.model as { vocab?: Record<string, number> } | undefined;
  const nextId = maxOf([...Object.values(model?.vocab ?? {}), ...added.map((t) => t.id)]) + 1;
  const useConfig = FLORENCE_TOKENS.every((t) => fromConfig.has(t));
  if (!useConfig && fromConfig.has(FLORENCE_TOKENS[0] as string)) {
    throw new FlorenceError(
      "model_load",
      `${source}: the tokenizer_config.json added_tokens_decoder has only some Florence tokens`,
    );
  }
  return FLORENCE_TOKENS.map((content, k) => ({
    id: useConfig ? (fromConfig.get(content) as number) : nextId + k,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

function checkFlorenceIds(ids: ReadonlyMap<string, number>, source: string): void {
  const base = ids.get(FLORENCE_TOKENS[0] as string) as number;
  FLORENCE_TOKENS.forEach((token, k) => {
    const id = ids.get(token);
    if (id !== base + k) {
      throw new FlorenceError(
        "model_load",
        `${source}: Florence token ${token} has id ${id}, expected ${base + k} (<od> id ${base} + ${k}); ` +
          "the 1024 Florence tokens must have consecutive ids in the order <od>, </od>, <ocr>, </ocr>, " +
          "<loc_0>…<loc_999>, <cap>, …, <and>",
      );
    }
  });
}

/** Largest number, -1 for none (a loop: spreading 50k ids into Math.max risks the argument limit). */
function maxOf(values: Iterable<number>): number {
  let max = -1;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** A special token's string from tokenizer_config.json (a string or an {content} object). */
function configToken(config: JsonObject, key: string, fallback: string): string {
  const v = config[key] as string | { content?: unknown } | undefined;
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && typeof v.content === "string") return v.content;
  return fallback;
}

class LibraryTokenizer implements FlorenceTokenizer {
  readonly vocabSize: number;
  readonly maxTokenBytes: number;
  readonly specialIds: SpecialTokenIds;
  readonly #lib: Tokenizer;
  /** Contents of added tokens: the decoder emits them literally instead of byte-decoding them. */
  readonly #addedContents: ReadonlySet<string>;
  readonly #cleanUp: boolean;

  constructor(lib: Tokenizer, added: readonly AddedTokenJson[], config: JsonObject, source: string) {
    this.#lib = lib;
    this.#addedContents = new Set(added.map((t) => t.content));
    this.#cleanUp = config.clean_up_tokenization_spaces !== false;
    const vocab = lib.get_vocab(true);
    this.vocabSize = maxOf(vocab.values()) + 1;
    this.maxTokenBytes = maxOf([...vocab.keys()].map((token) => Buffer.byteLength(token, "utf8")));
    const id = (key: string, fallback: string): number => {
      const token = configToken(config, key, fallback);
      const found = lib.token_to_id(token);
      if (found === undefined) {
        throw new FlorenceError(
          "model_load",
          `${source}: ${key} ${token} from ${TOKENIZER_CONFIG_FILE} is not in the vocabulary`,
        );
      }
      return found;
    };
    const eos = id("eos_token", "</s>");
    this.specialIds = { bos: id("bos_token", "<s>"), pad: id("pad_token", "<pad>"), eos, decoderStart: eos };
  }

  encode(prompt: string): number[] {
    return this.#lib.encode(prompt, { add_special_tokens: true }).ids;
  }

  decode(ids: readonly number[]): string {
    return this.#decode(ids, this.#cleanUp);
  }

  decodePieces(ids: readonly number[]): TokenPiece[] {
    const full = this.decode(ids);
    const raw = this.#rawPieces(ids);
    const texts = splitDecoded(raw, full) ?? this.#prefixPieces(ids, full);
    return ids.map((id, i) => ({ id, text: texts[i] as string }));
  }

  tokenId(token: string): number | undefined {
    return this.#lib.token_to_id(token);
  }

  #decode(ids: readonly number[], cleanUp: boolean): string {
    for (const id of ids) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new FlorenceError("internal", `token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
    }
    // The library rejects an empty list; the empty sequence decodes to "".
    if (ids.length === 0) return "";
    return this.#lib.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: cleanUp });
  }

  /**
   * Per-token text before clean-up: added tokens literally, byte-level tokens through a streaming
   * UTF-8 decoder, so a character split over several tokens belongs to the token that completes it
   * (and an unfinished one becomes U+FFFD at the end of its run, as the library's decoder does).
   */
  #rawPieces(ids: readonly number[]): string[] {
    const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
    const texts: string[] = [];
    let runOpen = false;
    const flush = (): void => {
      if (!runOpen) return;
      const tail = utf8.decode();
      if (tail !== "") texts[texts.length - 1] += tail;
      runOpen = false;
    };
    for (const id of ids) {
      const token = this.#lib.id_to_token(id) ?? "";
      if (this.#addedContents.has(token)) {
        flush();
        texts.push(token);
      } else {
        texts.push(utf8.decode(tokenBytes(token), { stream: true }));
        runOpen = true;
      }
    }
    flush();
    return texts;
  }

  /** Slow, always-correct split: token i gets what decoding ids[0..i] adds to the common prefix with `full`. */
  #prefixPieces(ids: readonly number[], full: string): string[] {
    let done = 0;
    return ids.map((_, i) => {
      const prefix = i === ids.length - 1 ? full : this.decode(ids.slice(0, i + 1));
      let n = 0;
      while (n < prefix.length && n < full.length && prefix[n] === full[n]) n++;
      const end = Math.max(done, n);
      const text = full.slice(done, end);
      done = end;
      return text;
    });
  }
}
