import { describe, expect, it } from "vitest";
import { FlorenceError, toFlorenceError } from "../models/errors.js";
import { florenceErrorLine } from "./error-line.js";

describe("florenceErrorLine", () => {
  it.each([
    [
      "a caller's error: kind and message",
      new FlorenceError("invalid_image", "images[0]: not an image"),
      "invalid_image: images[0]: not an image",
    ],
    [
      "internal: with the cause's name and message",
      toFlorenceError(new RangeError("index 70000 out of bounds")),
      "internal: internal error in the Florence-2 engine (cause: RangeError: index 70000 out of bounds)",
    ],
    [
      "internal from a thrown string",
      toFlorenceError("boom"),
      "internal: internal error in the Florence-2 engine (cause: boom)",
    ],
    ["internal without a cause", new FlorenceError("internal", "x"), "internal: x"],
    [
      "a cause of another kind stays out (load errors say what to do themselves)",
      new FlorenceError("model_load", "missing onnx/encoder_model.onnx", { cause: new Error("ENOENT") }),
      "model_load: missing onnx/encoder_model.onnx",
    ],
    [
      "the cause survives the worker boundary",
      FlorenceError.fromWire(structuredClone(toFlorenceError(new TypeError("bad tensor")).toWire())),
      "internal: internal error in the Florence-2 engine (cause: TypeError: bad tensor)",
    ],
  ])("%s", (_name, error, line) => {
    expect(florenceErrorLine(error)).toBe(line);
  });
});
