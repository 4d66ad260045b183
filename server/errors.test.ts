import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import type { FlorenceErrorKind } from "../models/errors.js";
import { FlorenceError } from "../models/errors.js";
import { CODE_BY_KIND, ERROR_DOMAIN, toConnectError, toFrameError } from "./errors.js";
import { HIDDEN_FOLDER, withoutPaths } from "./hide-paths.js";
import { describeCause } from "./logger.js";
import { loadFailure } from "./model-registry.js";

/** Outgoing details as connect stores them before encoding: { desc, value }. */
function details(e: ConnectError) {
  return e.details.map((d) =>
    "desc" in d ? { typeName: d.desc.typeName, value: d.value } : { typeName: d.type, value: d.value },
  );
}

describe("CODE_BY_KIND", () => {
  const expected: [FlorenceErrorKind, Code][] = [
    ["invalid_image", Code.InvalidArgument],
    ["invalid_region", Code.InvalidArgument],
    ["missing_text", Code.InvalidArgument],
    ["invalid_argument", Code.InvalidArgument],
    ["unauthenticated", Code.Unauthenticated],
    ["queue_full", Code.ResourceExhausted],
    ["unavailable", Code.Unavailable],
    ["deadline_exceeded", Code.DeadlineExceeded],
    ["cancelled", Code.Canceled],
    ["model_load", Code.FailedPrecondition],
    ["download", Code.FailedPrecondition],
    ["provider_unavailable", Code.FailedPrecondition],
    ["internal", Code.Internal],
  ];
  it.each(expected)("%s -> %s", (kind, code) => {
    const error = toConnectError(new FlorenceError(kind, `message for ${kind}`));
    expect(error.code).toBe(code);
    expect(error.rawMessage).toBe(`message for ${kind}`);
  });

  it("covers every kind", () => {
    expect(Object.keys(CODE_BY_KIND).sort()).toEqual(expected.map(([k]) => k).sort());
  });
});

describe("toConnectError details", () => {
  it("carries ErrorInfo and BadRequest field violations", () => {
    const e = toConnectError(
      new FlorenceError("invalid_image", "images[1]: empty", {
        violations: [{ field: "images[1]", description: "the image is empty" }],
      }),
    );
    const found = details(e);
    expect(found.map((d) => d.typeName)).toEqual([ErrorInfoSchema.typeName, BadRequestSchema.typeName]);
    expect(found[0]?.value).toMatchObject({ reason: "invalid_image", domain: ERROR_DOMAIN });
    expect(found[1]?.value).toMatchObject({
      fieldViolations: [{ field: "images[1]", description: "the image is empty" }],
    });
  });

  it("adds RetryInfo to overload errors only", () => {
    const full = details(toConnectError(new FlorenceError("queue_full", "busy")));
    expect(full.map((d) => d.typeName)).toContain(RetryInfoSchema.typeName);
    const bad = details(toConnectError(new FlorenceError("invalid_argument", "bad")));
    expect(bad.map((d) => d.typeName)).not.toContain(RetryInfoSchema.typeName);
  });

  it("hides the text of unknown errors but keeps them as cause", () => {
    const boom = new Error("ORT failure at /src/session.cc:42");
    const e = toConnectError(boom);
    expect(e.code).toBe(Code.Internal);
    expect(e.rawMessage).not.toContain("session.cc");
    expect(e.cause).toBe(boom);
  });

  it("maps AbortError/TimeoutError to Canceled/DeadlineExceeded", () => {
    expect(toConnectError(new DOMException("x", "AbortError")).code).toBe(Code.Canceled);
    expect(toConnectError(new DOMException("x", "TimeoutError")).code).toBe(Code.DeadlineExceeded);
  });

  it("passes a ConnectError through", () => {
    const original = new ConnectError("nope", Code.NotFound);
    expect(toConnectError(original)).toBe(original);
  });

  it("prefers the aborted call signal's reason (a deadline looks like 'cancelled' to the engine)", () => {
    const controller = new AbortController();
    const deadline = new ConnectError("the operation timed out", Code.DeadlineExceeded);
    controller.abort(deadline);
    const e = toConnectError(new FlorenceError("cancelled", "generation was cancelled"), controller.signal);
    expect(e.code).toBe(Code.DeadlineExceeded);
  });
});

describe("toConnectError of a call its client ended", () => {
  const reset = new ConnectError("http/2 stream closed with error code INTERNAL_ERROR (0x2)", Code.Internal);
  const aborted = (reason?: unknown): AbortSignal => {
    const controller = new AbortController();
    controller.abort(reason);
    return controller.signal;
  };
  const cases: [string, unknown, number | undefined, Code][] = [
    ["an HTTP/2 reset (INTERNAL), no deadline", reset, undefined, Code.Canceled],
    ["an HTTP/2 reset (INTERNAL), deadline far off", reset, 5000, Code.Canceled],
    ["an HTTP/2 reset (INTERNAL), deadline all but due", reset, 20, Code.DeadlineExceeded],
    ["an HTTP/2 reset (INTERNAL), deadline passed", reset, -3, Code.DeadlineExceeded],
    [
      "a lost HTTP/1.1 connection (ABORTED)",
      new ConnectError("read ECONNRESET", Code.Aborted),
      undefined,
      Code.Canceled,
    ],
    ["an abort without a reason", undefined, undefined, Code.Canceled],
    [
      "a CANCEL reset",
      new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled),
      20,
      Code.Canceled,
    ],
    [
      "the server's own deadline",
      new ConnectError("the operation timed out", Code.DeadlineExceeded),
      0,
      Code.DeadlineExceeded,
    ],
    [
      "the server's shutdown",
      new ConnectError("the server is shutting down", Code.Unavailable),
      undefined,
      Code.Unavailable,
    ],
  ];
  it.each(cases)("%s", (_, reason, left, code) => {
    const call = { signal: aborted(reason), timeoutMs: () => left };
    const e = toConnectError(new FlorenceError("internal", "generation failed"), call);
    expect(e.code).toBe(code);
    expect(codeToString(e.code)).not.toBe("internal");
  });

  it("says what happened and keeps the transport's words as detail and cause", () => {
    const e = toConnectError(new FlorenceError("cancelled", "generation was cancelled"), { signal: aborted(reset) });
    expect(e.rawMessage).toBe(
      "the client ended the call before the answer was ready (it cancelled, reset its stream or closed its connection): http/2 stream closed with error code INTERNAL_ERROR (0x2)",
    );
    expect(e.cause).toBe(reset);
  });

  it("keeps a real internal error internal while the client is still there", () => {
    const call = { signal: new AbortController().signal, timeoutMs: () => 20 };
    expect(toConnectError(new Error("ORT failure"), call).code).toBe(Code.Internal);
    expect(toConnectError(new FlorenceError("internal", "boom"), call).code).toBe(Code.Internal);
  });
});

describe("toFrameError", () => {
  it("is a google.rpc.Status-like message with the kind and violations", () => {
    const frame = toFrameError(
      new FlorenceError("missing_text", "frame.task.text: blank", {
        violations: [{ field: "frame.task.text", description: "blank" }],
      }),
    );
    expect(frame.code).toBe(Code.InvalidArgument);
    expect(frame.message).toBe("frame.task.text: blank");
    expect(frame.reason).toBe("missing_text");
    expect(frame.fieldViolations.map((v) => v.field)).toEqual(["frame.task.text"]);
  });

  it("does not leak unknown error text", () => {
    const frame = toFrameError(new Error("secret stack text"));
    expect(frame.code).toBe(Code.Internal);
    expect(frame.message).not.toContain("secret");
    expect(frame.reason).toBe("internal");
  });
});

describe("withoutPaths", () => {
  const F = HIDDEN_FOLDER;
  it.each([
    [
      "model folder /srv/models/a does not exist (or is not a folder)",
      `model folder ${F} does not exist (or is not a folder)`,
    ],
    [
      "cannot read /srv/models/a/config.json; the model folder needs it",
      "cannot read config.json; the model folder needs it",
    ],
    ["/home/me/m/tokenizer.json is not valid JSON", "tokenizer.json is not valid JSON"],
    ["missing in /m.", `missing in ${F}.`],
    [
      "ENOENT: no such file or directory, open '/x/y/preprocessor_config.json'",
      "ENOENT: no such file or directory, open 'preprocessor_config.json'",
    ],
    ['model folder "~/models/base" is empty', `model folder "${F}" is empty`],
    ["./models/a and ../b/c.onnx", `${F} and c.onnx`],
    ["file:///opt/m/onnx/encoder_model.onnx: bad", "encoder_model.onnx: bad"],
    ["C:\\models\\a\\config.json is bad", "config.json is bad"],
    ["the folder /root/.cache is full", `the folder ${F} is full`],
    // Kept: names inside a model folder, URLs, ratios and words with slashes say what to fix.
    [
      "onnx/encoder_model.onnx is missing in the model folder",
      "onnx/encoder_model.onnx is missing in the model folder",
    ],
    [
      "HTTP 404 for https://huggingface.co/a/b/resolve/main/config.json",
      "HTTP 404 for https://huggingface.co/a/b/resolve/main/config.json",
    ],
    ["microsoft/Florence-2-base and/or 3/4 of it", "microsoft/Florence-2-base and/or 3/4 of it"],
  ])("%j", (text, want) => {
    expect(withoutPaths(text)).toBe(want);
  });
});

describe("a path in an error's message", () => {
  it("is not in the answer; the answer's cause (what the log writes) has it", () => {
    const e = toConnectError(new FlorenceError("model_load", "model folder /srv/m is missing onnx/x.onnx"));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toBe(`model folder ${HIDDEN_FOLDER} is missing onnx/x.onnx`);
    expect(describeCause(e.cause)).toContain("model folder /srv/m is missing onnx/x.onnx");
  });

  it("a failed load names its model and reason, and keeps the loader's error as its cause", () => {
    const loader = new FlorenceError("model_load", "cannot read /srv/m/config.json", { cause: new Error("EACCES") });
    const error = loadFailure("base", loader);
    expect(error.kind).toBe("model_load");
    expect(error.message).toBe('model "base" could not be loaded: cannot read config.json');
    const logged = describeCause(error);
    expect(logged).toContain("cannot read /srv/m/config.json");
    expect(logged).toMatch(/caused by: Error: EACCES/);
  });

  it("describeCause of a plain value is its text", () => {
    expect(describeCause("boom")).toBe("boom");
    expect(describeCause(undefined)).toBe("undefined");
  });
});
