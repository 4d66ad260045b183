import { describe, expect, it } from "vitest";
import {
  cleanStructured,
  mapText,
  originSpans,
  removeMatches,
  removeToken,
  sliceMapped,
  stripMapped,
} from "./clean-text.js";
import { asciiOnly, pyStrip, pyStripRange } from "./python-text.js";

/** Each character of a mapped text must equal the decoded character it claims to come from. */
function expectFaithful(decoded: string, t: { text: string; origin: readonly number[] }): void {
  expect(t.origin).toHaveLength(t.text.length);
  for (let i = 0; i < t.text.length; i++) expect(decoded[t.origin[i] as number]).toBe(t.text[i]);
}

describe("removeToken", () => {
  it.each([
    ["a<s>b<s>c", "<s>", Number.POSITIVE_INFINITY, "abc"],
    ["a<s>b<s>c", "<s>", 1, "ab<s>c"],
    ["<s><s>", "<s>", Number.POSITIVE_INFINITY, ""],
    ["abc", "<s>", Number.POSITIVE_INFINITY, "abc"],
  ])("%j without %j (count %d) is %j", (decoded, token, count, want) => {
    const t = removeToken(mapText(decoded), token, count);
    expect(t.text).toBe(want);
    expectFaithful(decoded, t);
  });
});

describe("cleanStructured", () => {
  it("removes <s>, </s>, <pad> in that order, like str.replace chained", () => {
    const decoded = "</s><s>dog<loc_1></s><pad><pad>";
    const t = cleanStructured(decoded);
    expect(t.text).toBe("dog<loc_1>");
    expectFaithful(decoded, t);
  });

  it("re-joins text split by a removed token, as the reference does", () => {
    // "<lo" + "<s>" + "c_5>" becomes "<loc_5>" after removal in Python too.
    expect(cleanStructured("<lo<s>c_5>").text).toBe("<loc_5>");
  });
});

describe("originSpans", () => {
  it("splits a range where a token was removed", () => {
    const decoded = "ab<pad>cd";
    const t = cleanStructured(decoded);
    expect(originSpans(t, 0, 4)).toEqual([
      { start: 0, end: 2 },
      { start: 7, end: 9 },
    ]);
    expect(originSpans(t, 1, 1)).toEqual([]);
  });

  it("maps slices and strips back to the decoded text", () => {
    const decoded = "</s><s>  a dog </s>";
    const t = stripMapped(cleanStructured(decoded));
    expect(t.text).toBe("a dog");
    expect(originSpans(t, 0, t.text.length)).toEqual([{ start: 9, end: 14 }]);
    expect(sliceMapped(t, 2).text).toBe("dog");
  });
});

describe("removeMatches", () => {
  it("removes every match and keeps origins", () => {
    const decoded = "dog<loc_1> and<loc_22>";
    const t = removeMatches(mapText(decoded), /<loc_\d+>/gu);
    expect(t.text).toBe("dog and");
    expectFaithful(decoded, t);
  });
});

describe("Python text semantics", () => {
  it.each([
    ["  a b  ", "a b"],
    ["\u001c\u0085x\u001f", "x"], // Python whitespace that JavaScript's trim() keeps
    ["\ufeffx\ufeff", "\ufeffx\ufeff"], // JavaScript whitespace that Python's strip() keeps
    ["\u3000\u2028x\u00a0", "x"],
    [" \t\n", ""],
    ["", ""],
  ])("pyStrip(%j) = %j", (s, want) => {
    expect(pyStrip(s)).toBe(want);
  });

  it("pyStripRange gives offsets", () => {
    expect(pyStripRange("  ab ")).toEqual({ start: 2, end: 4 });
    expect(pyStripRange("   ")).toEqual({ start: 3, end: 3 });
  });

  it("asciiOnly deletes every non-ASCII code point (like encode('ascii', 'ignore'))", () => {
    expect(asciiOnly("café crème 犬 🐶 ok")).toBe("caf crme   ok");
    expect(asciiOnly("\u007f\u0080")).toBe("\u007f");
  });
});
