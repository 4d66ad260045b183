import { describe, expect, it } from "vitest";
import type { TaskResult } from "../core/results.js";
import { callOutput, partialLine, SOME_IMAGES_FAILED } from "./call-output.js";

const SIZE = { width: 4, height: 3 };
const ok: TaskResult = {
  kind: "text",
  task: "caption",
  imageSize: SIZE,
  rawText: "</s>a cat</s>",
  generatedTokens: 3,
  text: "a cat",
  confidence: 0.5,
};
const failed: TaskResult = {
  kind: "text",
  task: "caption",
  imageSize: { width: 0, height: 0 },
  rawText: "",
  generatedTokens: 0,
  text: "",
  confidence: 0,
  error: {
    code: 3,
    message: "images[1]: not an image",
    reason: "invalid_image",
    violations: [{ field: "images[1]", description: "not an image" }],
  },
};
const unknownCode: TaskResult = { ...failed, error: { code: 42, message: "odd", reason: "internal", violations: [] } };

describe("callOutput", () => {
  it.each([
    ["one answered image: the result itself, status 0", ["a.png"], [ok], ok, [], 0],
    ["several answered: the list", ["a.png", "b.png"], [ok, ok], [ok, ok], [], 0],
    [
      "a failed image: its file, task and error instead of the empty result; one stderr line; status 1",
      ["a.png", "b.txt"],
      [ok, failed],
      [
        ok,
        {
          image: "b.txt",
          task: "caption",
          error: {
            status: "INVALID_ARGUMENT",
            code: 3,
            reason: "invalid_image",
            message: "images[1]: not an image",
            violations: [{ field: "images[1]", description: "not an image" }],
          },
        },
      ],
      ["b.txt: INVALID_ARGUMENT (invalid_image): images[1]: not an image"],
      SOME_IMAGES_FAILED,
    ],
    [
      "a code connect does not know is shown as its number",
      ["x.png"],
      [unknownCode],
      { image: "x.png", task: "caption", error: { status: "42", code: 42, reason: "internal", message: "odd" } },
      ["x.png: 42 (internal): odd"],
      SOME_IMAGES_FAILED,
    ],
  ] as const)("%s", (_name, images, results, printed, failures, status) => {
    const output = callOutput(images, results);
    expect(JSON.parse(output.json)).toEqual(printed);
    expect(output.failures).toEqual(failures);
    expect(output.status).toBe(status);
  });

  it("SOME_IMAGES_FAILED is 1, as the help documents", () => {
    expect(SOME_IMAGES_FAILED).toBe(1);
  });
});

describe("partialLine", () => {
  it.each<[string, string, number, string]>([
    ["plain text", "a cat", 3, '{"partial":"a cat","tokens":3}'],
    ["nothing settled yet", "", 1, '{"partial":"","tokens":1}'],
    ["quotes, a newline and non-ASCII stay one line", 'say "hi"\nçà', 7, '{"partial":"say \\"hi\\"\\nçà","tokens":7}'],
  ])("%s", (_, text, tokens, line) => {
    const shown = partialLine({ text, generatedTokens: tokens });
    expect(shown).toBe(line);
    expect(shown).not.toContain("\n");
    expect(JSON.parse(shown)).toEqual({ partial: text, tokens });
  });
});
