import { describe, expect, it } from "vitest";
import { FlorenceError } from "../errors.js";
import { alignPieces, answerConfidence, type ScoredPiece, spanConfidence } from "./confidence.js";

const piece = (text: string, logprob: number): ScoredPiece => ({ text, logprob });

describe("alignPieces", () => {
  const pieces = [piece("</s>", 0), piece("<s>", 0), piece("car", -0.5), piece("</s>", -0.1)];

  it("places pieces that cover the decoded text", () => {
    const a = alignPieces("</s><s>car</s>", pieces);
    expect(a.starts).toEqual([0, 4, 7, 10]);
    expect(a.ends).toEqual([4, 7, 10, 14]);
    expect(a.hasDecoderStart).toBe(true);
  });

  it("accepts pieces without the decoder start token", () => {
    const a = alignPieces("</s><s>car</s>", pieces.slice(1));
    expect(a.starts).toEqual([4, 7, 10]);
    expect(a.hasDecoderStart).toBe(false);
  });

  it.each([
    ["</s><s>cat</s>", pieces],
    ["</s><s>car</s>", pieces.slice(2)],
    ["</s><s>car</s>", []],
  ])("rejects pieces that do not match %j as an internal error", (decoded, p) => {
    expect(() => alignPieces(decoded, p)).toThrow(FlorenceError);
    try {
      alignPieces(decoded, p);
    } catch (e) {
      expect((e as FlorenceError).kind).toBe("internal");
    }
  });
});

describe("spanConfidence", () => {
  // "</s><s>dog<loc_1><loc_2><loc_3><loc_4></s>" with distinct log-probs per token.
  const pieces = [
    piece("</s>", Number.NaN), // the decoder start's log-prob is never used
    piece("<s>", 0),
    piece("dog", -2),
    piece("<loc_1>", -0.1),
    piece("<loc_2>", -0.2),
    piece("<loc_3>", -0.3),
    piece("<loc_4>", -0.4),
    piece("</s>", -0.05),
  ];
  const decoded = pieces.map((p) => p.text).join("");
  const a = alignPieces(decoded, pieces);
  const at = (s: string) => ({ start: decoded.indexOf(s), end: decoded.indexOf(s) + s.length });

  it("is exp(mean log-prob) of the tokens overlapping the spans", () => {
    expect(spanConfidence(a, [at("<loc_1><loc_2><loc_3><loc_4>")])).toBeCloseTo(Math.exp(-0.25), 12);
    expect(spanConfidence(a, [at("dog"), at("<loc_1>")])).toBeCloseTo(Math.exp(-1.05), 12);
  });

  it("counts a token partly inside a span once, and not one that only touches it", () => {
    const dogStart = decoded.indexOf("dog");
    expect(spanConfidence(a, [{ start: dogStart + 1, end: dogStart + 2 }])).toBeCloseTo(Math.exp(-2), 12);
    expect(spanConfidence(a, [{ start: dogStart + 1, end: dogStart + 5 }])).toBeCloseTo(Math.exp(-2.1 / 2), 12);
    expect(spanConfidence(a, [{ start: dogStart + 3, end: dogStart + 3 }])).toBe(0);
  });

  it("is 0 for no spans", () => {
    expect(spanConfidence(a, [])).toBe(0);
  });
});

describe("answerConfidence", () => {
  it("averages every token but <s>, </s> and <pad>", () => {
    const pieces = [
      piece("</s>", Number.NaN),
      piece("<s>", 0),
      piece("A", -0.2),
      piece(" dog", -0.4),
      piece("<loc_5>", -0.6),
      piece("</s>", -3),
      piece("<pad>", 0),
    ];
    const a = alignPieces(pieces.map((p) => p.text).join(""), pieces);
    expect(answerConfidence(a)).toBeCloseTo(Math.exp(-0.4), 12);
  });

  it("an empty answer scores the </s> that ended it", () => {
    const pieces = [piece("</s>", Number.NaN), piece("<s>", 0), piece("</s>", -0.7)];
    expect(answerConfidence(alignPieces("</s><s></s>", pieces))).toBeCloseTo(Math.exp(-0.7), 12);
    expect(answerConfidence(alignPieces("</s><s></s>", pieces.slice(1)))).toBeCloseTo(Math.exp(-0.7), 12);
  });

  it("is 0 when nothing was scored (only the forced <s>)", () => {
    const pieces = [piece("</s>", Number.NaN), piece("<s>", 0)];
    expect(answerConfidence(alignPieces("</s><s>", pieces))).toBe(0);
  });
});
