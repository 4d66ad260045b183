/**
 * Tokenizer tests against test/fixtures/goldens/prompts.json (reference: transformers' native
 * Florence2Processor over the fixture tokenizers built by tools/reference/make_tokenizer.py).
 *
 * The golden file has ids for two tokenizers: "tiny" (test/fixtures/tiny/tokenizer.json) and
 * "padded" (same BPE, with filler vocabulary entries so that <mask> and the Florence tokens get the
 * real model's ids 50264..51288). Only the tiny files are stored; the padded one is rebuilt here
 * from them exactly as make_tokenizer.py documents it (see paddedTokenizerJson).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenizer, FLORENCE_TOKENS, type FlorenceTokenizer, loadTokenizer, splitDecoded } from "./tokenizer.js";

type Json = Record<string, unknown>;
interface AddedToken {
  id: number;
  content: string;
  [key: string]: unknown;
}
interface Side {
  input_ids: number[];
  tokens?: string[];
}
interface PromptCase {
  id: string;
  prompt: string | null;
  tiny: Side | null;
  padded: Side | null;
  spec_real_ids?: number[] | null;
}
interface DecodeSide {
  ids: number[];
  decoded: string;
  decoded_no_cleanup: string;
}
interface Golden {
  tokenizers: Record<
    "tiny" | "padded",
    { vocab_size: number; special_ids: Record<string, number>; space_token_id: number }
  >;
  cases: PromptCase[];
  decode_cases: { text: string; tiny: DecodeSide; padded: DecodeSide }[];
}

const fixture = (p: string): string => fileURLToPath(new URL(`../test/fixtures/${p}`, import.meta.url));
const tinyDir = fixture("tiny");
const golden = JSON.parse(readFileSync(fixture("goldens/prompts.json"), "utf8")) as Golden;
const readJson = (path: string): Json => JSON.parse(readFileSync(path, "utf8")) as Json;
const tinyJson = readJson(join(tinyDir, "tokenizer.json"));
const tinyConfig = readJson(join(tinyDir, "tokenizer_config.json"));
const REAL_MASK_ID = 50264;

/** make_tokenizer.py --pad-base-vocab: filler vocab entries up to 50263, then <mask>, then the Florence tokens. */
function paddedTokenizerJson(): Json {
  const model = tinyJson.model as { vocab: Record<string, number> };
  const vocab: Record<string, number> = {};
  for (const [token, id] of Object.entries(model.vocab)) if (token !== "<mask>") vocab[token] = id;
  const firstFiller = model.vocab["<mask>"] as number;
  for (let id = firstFiller; id < REAL_MASK_ID; id++) vocab[`<|filler_${id}|>`] = id;
  vocab["<mask>"] = REAL_MASK_ID;
  const shift = REAL_MASK_ID - firstFiller;
  const added = (tinyJson.added_tokens as AddedToken[]).map((t) =>
    t.id >= firstFiller ? { ...t, id: t.id + shift } : t,
  );
  return { ...tinyJson, model: { ...model, vocab }, added_tokens: added };
}

const withoutFlorence = (json: Json): Json => ({
  ...json,
  added_tokens: (json.added_tokens as AddedToken[]).filter((t) => !FLORENCE_TOKENS.includes(t.content)),
});

const tokenizers: Record<"tiny" | "padded", FlorenceTokenizer> = {
  tiny: await loadTokenizer(tinyDir),
  padded: createTokenizer(paddedTokenizerJson(), tinyConfig),
};
const promptCases = golden.cases.filter(
  (c): c is PromptCase & { prompt: string; tiny: Side; padded: Side } => c.prompt !== null,
);

const tmp = mkdtempSync(join(tmpdir(), "florence-tok-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(["tiny", "padded"] as const)("%s tokenizer", (name) => {
  const tok = tokenizers[name];
  const info = golden.tokenizers[name];

  it("has the reference vocabulary size and special ids", () => {
    expect(tok.vocabSize).toBe(info.vocab_size);
    expect(tok.specialIds).toEqual({ bos: 0, pad: 1, eos: 2, decoderStart: 2 });
    for (const [token, id] of Object.entries(info.special_ids)) expect(tok.tokenId(token)).toBe(id);
  });

  it.each(promptCases.map((c) => [c.id, c] as const))("encodes prompt %s like the reference", (_, c) => {
    expect(tok.encode(c.prompt)).toEqual(c[name].input_ids);
  });

  it.each(golden.decode_cases.map((c, i) => [i, c] as const))("decode case %i: text, round trip and pieces", (_, c) => {
    const ids = c[name].ids;
    expect(tok.decode(ids)).toBe(c[name].decoded);
    const pieces = tok.decodePieces(ids);
    expect(pieces.map((p) => p.id)).toEqual(ids);
    expect(pieces.map((p) => p.text).join("")).toBe(c[name].decoded);
  });

  it("round-trips every prompt: decode(encode(p)) = <s>p</s>", () => {
    for (const c of promptCases) expect(tok.decode(tok.encode(c.prompt))).toBe(`<s>${c.prompt}</s>`);
  });

  // docs/florence2-contract.md#64-encoding-prompts
  it("keeps the space before a loc token as the standalone Ġ token", () => {
    const ids = tok.encode("What is the region <loc_52><loc_332><loc_932><loc_774>?");
    const loc52 = tok.tokenId("<loc_52>") as number;
    const at = ids.indexOf(loc52);
    expect(ids[at - 1]).toBe(info.space_token_id);
    expect(tok.decodePieces([info.space_token_id]).map((p) => p.text)).toEqual([" "]);
    expect(ids.slice(at, at + 4)).toEqual([loc52, loc52 + 280, loc52 + 880, loc52 + 722]);
  });
});

describe("Florence tokens", () => {
  // The order of docs/florence2-contract.md#62-special-tokens-and-ids.
  it("documented order: 1024 tokens, <od> first, <loc_k> at 4 + k, <and> last", () => {
    expect(FLORENCE_TOKENS.length).toBe(1024);
    expect(FLORENCE_TOKENS[0]).toBe("<od>");
    expect(FLORENCE_TOKENS[4 + 999]).toBe("<loc_999>");
    expect(FLORENCE_TOKENS[1014]).toBe("<sep>");
    expect(FLORENCE_TOKENS[1023]).toBe("<and>");
  });

  // docs/florence2-contract.md#62-special-tokens-and-ids
  it("maps to the real model ids in the padded tokenizer", () => {
    const tok = tokenizers.padded;
    expect(FLORENCE_TOKENS.map((t) => tok.tokenId(t))).toEqual(FLORENCE_TOKENS.map((_, k) => 50265 + k));
  });

  it("are taken from tokenizer_config.json's added_tokens_decoder when tokenizer.json lacks them", () => {
    const config = { ...tinyConfig, added_tokens_decoder: { "1500": { content: "<od>" } } };
    // a decoder that names only <od> is incomplete: refuse rather than guess
    expect(() => createTokenizer(withoutFlorence(tinyJson), config)).toThrow(/only some Florence tokens/);
    const full = createTokenizer(withoutFlorence(tinyJson), tinyConfig);
    expect(full.tokenId("<od>")).toBe(1001);
    expect(full.encode("<loc_5>")).toEqual([0, 1010, 2]);
  });

  it("are appended after the vocabulary when neither file has them", () => {
    const { added_tokens_decoder: _, ...bare } = tinyConfig;
    const tok = createTokenizer(withoutFlorence(tinyJson), bare);
    expect(tok.tokenId("<od>")).toBe(1001);
    expect(tok.tokenId("<and>")).toBe(2024);
    expect(tok.vocabSize).toBe(2025);
    expect(tok.decode(tok.encode("<od>dog<loc_0><sep></od>"))).toBe("<s><od>dog<loc_0><sep></od></s>");
  });

  it.each([
    [
      "two tokens swapped",
      () =>
        (tinyJson.added_tokens as AddedToken[]).map((t) =>
          t.content === "<loc_1>" ? { ...t, id: 1007 } : t.content === "<loc_2>" ? { ...t, id: 1006 } : t,
        ),
      /Florence token <loc_1> has id 1007, expected 1006/,
    ],
    [
      "one token missing",
      () => (tinyJson.added_tokens as AddedToken[]).filter((t) => t.content !== "<loc_500>"),
      /only 1023 of the 1024 Florence tokens are present \(e\.g\. <loc_500> is missing\)/,
    ],
  ])("fail the load naming tokenizer.json when %s", (_, addedTokens, message) => {
    expect(() =>
      createTokenizer({ ...tinyJson, added_tokens: addedTokens() }, tinyConfig, "model/tokenizer.json"),
    ).toThrow(
      expect.objectContaining({
        kind: "model_load",
        message: expect.stringMatching(new RegExp(`^model/tokenizer\\.json: .*${message.source}`)),
      }),
    );
  });
});

describe("decodePieces", () => {
  const tok = tokenizers.tiny;

  it("gives a multi-byte character to the token that completes it", () => {
    // "犬" is three UTF-8 bytes; the tiny BPE has no merge for it, so it is three byte tokens
    const ids = tok.encode("犬").slice(1, -1);
    expect(ids.length).toBe(3);
    expect(tok.decodePieces(ids).map((p) => p.text)).toEqual(["", "", "犬"]);
  });

  it("turns an unfinished character into U+FFFD, as decode does", () => {
    const ids = tok.encode("犬").slice(1, 3);
    expect(tok.decode(ids)).toBe("\uFFFD");
    expect(
      tok
        .decodePieces(ids)
        .map((p) => p.text)
        .join(""),
    ).toBe("\uFFFD");
  });

  it("follows the clean-up of ' .' and ' ,' (the space goes with the removed token)", () => {
    const ids = tok.encode("a dog , a cat .").slice(1, -1);
    // a, Ġdog, Ġ, ",", Ġa, Ġcat, Ġ, "." (ids as in the golden decode case)
    expect(ids).toEqual([68, 349, 224, 15, 264, 476, 224, 17]);
    expect(tok.decode(ids)).toBe("a dog, a cat.");
    expect(tok.decodePieces(ids).map((p) => p.text)).toEqual(["a", " dog", "", ",", " a", " cat", "", "."]);
  });

  it("handles the empty sequence", () => {
    expect(tok.decode([])).toBe("");
    expect(tok.decodePieces([])).toEqual([]);
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => tok.decode([0, 2025])).toThrow(
      expect.objectContaining({ kind: "internal", message: expect.stringMatching(/2025 is outside/) }),
    );
  });

  it("concatenates to decode() for pseudo-random id sequences (byte tokens, specials, locs)", () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    for (let round = 0; round < 300; round++) {
      const ids = Array.from({ length: 1 + next(40) }, () => (next(5) === 0 ? next(tok.vocabSize) : next(1000)));
      expect(
        tok
          .decodePieces(ids)
          .map((p) => p.text)
          .join(""),
      ).toBe(tok.decode(ids));
    }
  });
});

describe("splitDecoded", () => {
  it.each([
    [["a", " dog", " ."], "a dog.", ["a", " dog", "."]],
    [["x", " ", "'", " ", "y"], "x'y", ["x", "", "'", "", "y"]],
    [["a", "b"], "ab", ["a", "b"]],
  ])("%j -> %j", (raw, full, expected) => {
    expect(splitDecoded(raw, full)).toEqual(expected);
  });

  it("returns undefined unless the full text is the raw text minus some spaces", () => {
    expect(splitDecoded(["a", "b"], "ac")).toBeUndefined();
    expect(splitDecoded(["ab"], "a")).toBeUndefined();
    expect(splitDecoded(["a"], "ab")).toBeUndefined();
  });
});

describe("loadTokenizer errors", () => {
  it.each([
    ["a missing folder", () => join(tmp, "none"), /cannot read .*none[\\/]tokenizer\.json/],
    [
      "a tokenizer.json that is not JSON",
      () => {
        const dir = join(tmp, "bad-json");
        mkdirSync(dir);
        writeFileSync(join(dir, "tokenizer.json"), "{ nope");
        writeFileSync(join(dir, "tokenizer_config.json"), "{}");
        return dir;
      },
      /bad-json[\\/]tokenizer\.json is not valid JSON/,
    ],
    [
      "a missing tokenizer_config.json",
      () => {
        const dir = join(tmp, "no-config");
        mkdirSync(dir);
        writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyJson));
        return dir;
      },
      /cannot read .*no-config[\\/]tokenizer_config\.json/,
    ],
  ])("refuses %s with model_load", async (_, dir, message) => {
    await expect(loadTokenizer(dir())).rejects.toThrow(
      expect.objectContaining({ kind: "model_load", message: expect.stringMatching(message) }),
    );
  });

  it("refuses a special token the vocabulary lacks", () => {
    expect(() => createTokenizer(tinyJson, { ...tinyConfig, pad_token: "<nopad>" })).toThrow(
      /pad_token <nopad> .* is not in the vocabulary/,
    );
  });
});
