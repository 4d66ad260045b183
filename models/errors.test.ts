/** FlorenceError across a thread boundary: the cause chain goes along as data; JSON never shows it. */
import { describe, expect, it } from "vitest";
import { FlorenceError, toFlorenceError } from "./errors.js";

/** The cause chain as [name, message] pairs. */
function chain(e: unknown): [string, string][] {
  const out: [string, string][] = [];
  for (let c: unknown = e instanceof Error ? e.cause : undefined; c instanceof Error; c = c.cause) {
    out.push([c.name, c.message]);
  }
  return out;
}

describe("FlorenceError.toWire / fromWire", () => {
  const ort = Object.assign(new TypeError("Non-zero status code returned while running Gather node"), {
    cause: new RangeError("index 70000 out of bounds"),
  });
  it.each([
    [
      "no cause",
      new FlorenceError("invalid_image", "images[0]: bad", { violations: [{ field: "images[0]", description: "d" }] }),
      [],
    ],
    [
      "an Error with its own cause",
      toFlorenceError(ort),
      [
        ["TypeError", ort.message],
        ["RangeError", "index 70000 out of bounds"],
      ],
    ],
    ["a thrown string", toFlorenceError("boom"), [["Error", "boom"]]],
    [
      "a chain longer than four: the first four",
      new FlorenceError("internal", "x", {
        cause: new Error("1", {
          cause: new Error("2", { cause: new Error("3", { cause: new Error("4", { cause: new Error("5") }) }) }),
        }),
      }),
      [
        ["Error", "1"],
        ["Error", "2"],
        ["Error", "3"],
        ["Error", "4"],
      ],
    ],
  ] as const)(
    "%s: kind, message, violations and the cause chain survive a structured clone",
    (_name, error, causes) => {
      const back = FlorenceError.fromWire(structuredClone(error.toWire()));
      expect(back).toMatchObject({ kind: error.kind, message: error.message, violations: error.violations });
      expect(chain(back)).toEqual(causes);
    },
  );

  it("keeps the cause's stack for the log", () => {
    const back = FlorenceError.fromWire(structuredClone(toFlorenceError(ort).toWire()));
    expect((back.cause as Error).stack).toBe(ort.stack);
  });

  it("JSON.stringify writes kind, message and violations only: no cause, no stack", () => {
    expect(JSON.parse(JSON.stringify(toFlorenceError(ort)))).toEqual({
      kind: "internal",
      message: "internal error in the Florence-2 engine",
      violations: [],
    });
  });
});
