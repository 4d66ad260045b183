/**
 * Every case of test/fixtures/goldens/postprocess.json (produced by transformers' native
 * Florence2Processor.post_process_generation, tools/reference/goldens_cases.py) through our
 * parsers: the float bin-centre expectation within 1e-9 relative, strings and structure exactly,
 * and truncating our floats gives the native integer output.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { numbersOf, referenceShape, withoutNumbers } from "../../test/support/postprocess/reference-shape.js";
import type { OutputKind } from "../tasks.js";

interface GoldenCase {
  readonly id: string;
  readonly task: string;
  readonly post_processing_type: OutputKind;
  readonly image_size: [number, number];
  readonly text: string;
  readonly expected_native_int: unknown;
  readonly expected_float: unknown;
  readonly native_int_equals_trunc_of_float: boolean;
  readonly note: string;
}

const file = new URL("../../test/fixtures/goldens/postprocess.json", import.meta.url);
const cases = (JSON.parse(readFileSync(file, "utf8")) as { cases: GoldenCase[] }).cases;

/**
 * Cases where we differ from the native reference on purpose: our value and why. The test checks
 * both that we give our value and that the golden still differs, so this list cannot go stale.
 */
const DEVIATIONS: Readonly<Record<string, { readonly reason: string; readonly ours: unknown }>> = {
  caption_pad: {
    // docs/florence2-contract.md#11-deliberate-differences
    reason: "we remove <pad> (batch padding) from pure text as well; native keeps it there",
    ours: "a cat",
  },
};

const sizeOf = (c: GoldenCase) => ({ width: c.image_size[0], height: c.image_size[1] });

describe("postprocess goldens (native transformers 4.57)", () => {
  it("has at least 40 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.filter((c) => !(c.id in DEVIATIONS)).map((c) => [c.id, c] as const))(
    "%s: float bin centres",
    (_id, c) => {
      const ours = referenceShape(c.post_processing_type, c.text, sizeOf(c));
      expect(withoutNumbers(ours)).toEqual(withoutNumbers(c.expected_float));
      const got = numbersOf(ours);
      const want = numbersOf(c.expected_float);
      expect(got).toHaveLength(want.length);
      got.forEach((g, i) => {
        const w = want[i] as number;
        expect(Math.abs(g - w)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
      });
    },
  );

  it.each(
    cases.filter((c) => c.native_int_equals_trunc_of_float && !(c.id in DEVIATIONS)).map((c) => [c.id, c] as const),
  )("%s: truncated floats equal the native integers", (_id, c) => {
    const ours = referenceShape(c.post_processing_type, c.text, sizeOf(c));
    expect(withoutNumbers(ours)).toEqual(withoutNumbers(c.expected_native_int));
    expect(numbersOf(ours).map(Math.trunc)).toEqual(numbersOf(c.expected_native_int));
  });

  it.each(Object.entries(DEVIATIONS))("%s: deliberate deviation", (id, deviation) => {
    const c = cases.find((x) => x.id === id);
    expect(c, `golden case ${id} (${deviation.reason})`).toBeDefined();
    if (c === undefined) return;
    expect(referenceShape(c.post_processing_type, c.text, sizeOf(c))).toEqual(deviation.ours);
    expect(c.expected_float).not.toEqual(deviation.ours);
  });
});
