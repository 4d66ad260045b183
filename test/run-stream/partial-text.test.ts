/**
 * The settled answer text while tokens arrive (models/stages/partial-text.ts): the same clean-up as
 * the final answer, minus what the next tokens may still change, and a reporter that sends it at
 * a bounded rate and only when it grew.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { TextSoFar } from "../../models/inputs.js";
import { parseAnswerText } from "../../models/postprocess/parse-text.js";
import { decodeRequest } from "../../models/stages/decode.js";
import { CHECKPOINT_TOKENS, settledText, textReporter } from "../../models/stages/partial-text.js";
import { type FlorenceTokenizer, loadTokenizer } from "../../models/tokenizer.js";

describe("settledText", () => {
  it.each([
    ["nothing generated but the forced start", "<s>", "pure_text", ""],
    ["special tokens removed", "</s><s>A cat", "pure_text", "A cat"],
    ["leading space removed", "<s> A cat", "pure_text", "A cat"],
    ["trailing space waits (the answer is trimmed)", "<s>A cat ", "pure_text", "A cat"],
    ['the start of " n\'t" waits', "<s>I do n", "pure_text", "I do"],
    ['the start of " \'s" waits', "<s>it '", "pure_text", "it"],
    ['the start of " \'ve" waits', "<s>we 'v", "pure_text", "we"],
    ["an unfinished UTF-8 character waits", "<s>caf\uFFFD", "pure_text", "caf"],
    ["a space before an unfinished character waits too", "<s>a \uFFFD\uFFFD", "pure_text", "a"],
    ["text tasks drop location tokens", "<s>dog<loc_1><loc_2>", "pure_text", "dog"],
    ["structured tasks keep them", "<s>dog<loc_1><loc_2>", "bboxes", "dog<loc_1><loc_2>"],
    ["padding removed", "<s>a b<pad>", "pure_text", "a b"],
  ] as const)("%s", (_name, decoded, output, expected) => {
    expect(settledText(decoded, output)).toBe(expected);
  });

  it("every settled prefix of a text is a prefix of its final answer", () => {
    // Pieces as a byte-level tokenizer would decode them, clean-up spaces included.
    const pieces = ["<s>", " The", " cat", " is", " n't", " here", " .", " It", "'s", " café", "</s>"];
    const cleanUp = (s: string) => s.replace(/ n't/g, "n't").replace(/ \./g, ".").replace(/ 's/g, "'s");
    const final = parseAnswerText(cleanUp(pieces.join(""))).text;
    let previous = "";
    for (let n = 1; n <= pieces.length; n++) {
      const partial = settledText(cleanUp(pieces.slice(0, n).join("")), "pure_text");
      expect(final.startsWith(partial), `${JSON.stringify(partial)} of ${JSON.stringify(final)}`).toBe(true);
      expect(partial.startsWith(previous)).toBe(true);
      previous = partial;
    }
    expect(previous).toBe(final);
  });
});

describe("textReporter", () => {
  /** A reporter over a fake clock and a decoder whose text is " w<id>" per id (<s> for 0). */
  function reporter(intervalMs: number) {
    let clock = 0;
    const sent: TextSoFar[] = [];
    const decoded: number[] = [];
    const report = textReporter({
      itemIndex: 2,
      intervalMs,
      decode: (ids) => {
        decoded.push(ids.length);
        return ids.map((id) => (id === 0 ? "<s>" : ` w${id}`)).join("");
      },
      output: "pure_text",
      onText: (t) => sent.push(t),
      now: () => clock,
    });
    return {
      sent,
      decoded,
      token(id: number, atMs: number) {
        clock = atMs;
        report({ id });
      },
    };
  }

  it("interval 0 reports every token that changes the text, with the item's index and token count", () => {
    const r = reporter(0);
    r.token(0, 0); // "<s>": nothing to report
    r.token(5, 1);
    r.token(6, 2);
    expect(r.sent).toEqual([
      { imageIndex: 2, text: "w5", tokens: 2 },
      { imageIndex: 2, text: "w5 w6", tokens: 3 },
    ]);
  });

  it("reports at most once per interval and decodes only when a report is due", () => {
    const r = reporter(100);
    for (let i = 1; i <= 30; i++) r.token(i, i * 10); // a token every 10 ms for 300 ms
    expect(r.sent.map((t) => t.tokens)).toEqual([1, 11, 21]);
    expect(r.decoded).toHaveLength(3);
    expect(r.sent.at(-1)?.text).toBe(Array.from({ length: 21 }, (_, i) => `w${i + 1}`).join(" "));
  });

  it("an unchanged text is not reported again, and does not use up the interval", () => {
    const r = reporter(100);
    r.token(0, 0);
    r.token(0, 50);
    r.token(7, 60);
    expect(r.sent).toEqual([{ imageIndex: 2, text: "w7", tokens: 3 }]);
  });

  it("decodes only the tokens after its last checkpoint, all of them every CHECKPOINT_TOKENS", () => {
    const r = reporter(0);
    const n = 3 * CHECKPOINT_TOKENS;
    for (let i = 1; i <= n; i++) r.token(i, i);
    expect(r.sent).toHaveLength(n);
    // Full decodes at each checkpoint; otherwise only the tokens since the last one.
    expect(r.decoded.filter((length) => length >= CHECKPOINT_TOKENS)).toEqual(
      [1, 2, 3].map((k) => k * CHECKPOINT_TOKENS),
    );
    const decodedTokens = r.decoded.reduce((sum, length) => sum + length, 0);
    expect(decodedTokens).toBeLessThan((n * CHECKPOINT_TOKENS) / 2 + 6 * CHECKPOINT_TOKENS);
    expect(r.sent.at(-1)?.text).toBe(Array.from({ length: n }, (_, i) => `w${i + 1}`).join(" "));
  });
});

describe("with the real tokenizer, on random token sequences", () => {
  let tokenizer: FlorenceTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(new URL("../fixtures/tiny", import.meta.url).pathname);
  });

  /**
   * Token runs that make the hard cases likely: the tokenizer's clean-up patterns (" n't", " 's",
   * " ' ", " ." ...), spaces, UTF-8 bytes (lead and continuation bytes of multi-byte characters),
   * special and location tokens.
   */
  function tokenPool(): number[][] {
    const id = (token: string): number => {
      const found = tokenizer.tokenId(token);
      if (found === undefined) throw new Error(`the tiny vocabulary has no ${token}`);
      return found;
    };
    const runs = [
      ["Ġ", "n", "'", "t"],
      ["Ġ", "'", "s"],
      ["Ġ", "'", "m"],
      ["Ġ", "'", "v", "e"],
      ["Ġ", "'", "r", "e"],
      ["Ġ", "'", "Ġ"],
      ["Ġ", "."],
      ["Ġ", "?"],
      ["Ġ", "!"],
      ["Ġ", ","],
      ...["Ġ", "'", "n", "t", "s", "e", "Ġthe", "<s>", "</s>", "<pad>", "<loc_5>", "<loc_999>"].map((t) => [t]),
    ].map((run) => run.map(id));
    for (let byte = 4; byte < 260; byte += 3) runs.push([byte]);
    return runs;
  }

  it("every text reported is the settled text of the full decode, and a prefix of the final answer", () => {
    const pool = tokenPool();
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let reports = 0;
    for (let run = 0; run < 60; run++) {
      const ids = [tokenizer.specialIds.bos];
      const length = 1 + Math.floor(random() * 3 * CHECKPOINT_TOKENS);
      while (ids.length < length) ids.push(...pool[Math.floor(random() * pool.length)]!);
      for (const output of ["pure_text", "bboxes"] as const) {
        const final =
          output === "pure_text"
            ? parseAnswerText(tokenizer.decode(ids)).text
            : settledText(`${tokenizer.decode(ids)} `, output);
        const sent: TextSoFar[] = [];
        const report = textReporter({
          itemIndex: 0,
          intervalMs: 0,
          decode: (some) => tokenizer.decode(some),
          output,
          onText: (t) => sent.push(t),
        });
        for (const id of ids) report({ id });
        for (const t of sent) {
          const context = `${JSON.stringify(ids.slice(0, t.tokens))} (${output})`;
          expect(t.text, context).toBe(settledText(tokenizer.decode(ids.slice(0, t.tokens)), output));
          expect(final.startsWith(t.text), `${JSON.stringify(t.text)} of ${JSON.stringify(final)}: ${context}`).toBe(
            true,
          );
        }
        reports += sent.length;
      }
    }
    expect(reports).toBeGreaterThan(1000);
  });
});

describe("decodeRequest with onText", () => {
  const text = {
    decode: (ids: readonly number[]) => ids.map((id) => ` w${id}`).join(""),
    output: "pure_text",
  } as const;

  it("feeds each token to onToken and to the text reporter", () => {
    const tokens: number[] = [];
    const texts: string[] = [];
    const request = decodeRequest(
      1,
      { onToken: (t) => tokens.push(t.id), onText: (t) => texts.push(`${t.imageIndex}:${t.text}`), textIntervalMs: 0 },
      (id) => `${id}`,
      text,
    );
    for (const id of [4, 5]) request.onToken?.({ request: 0, id, position: 1, logprob: 0 });
    expect(tokens).toEqual([4, 5]);
    expect(texts).toEqual(["1:w4", "1:w4 w5"]);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses textIntervalMs %s", (textIntervalMs) => {
    expect(() => decodeRequest(0, { onText: () => {}, textIntervalMs }, String, text)).toThrow(
      expect.objectContaining({ kind: "invalid_argument", message: expect.stringContaining("textIntervalMs") }),
    );
  });
});
