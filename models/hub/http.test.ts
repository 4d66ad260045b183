import { describe, expect, it } from "vitest";
import { FlorenceError, isFlorenceError } from "../errors.js";
import type { HubRequestContext } from "./http.js";
import { errorForStatus, TransientError, withRetries } from "./http.js";

const target = { repo: "me/model", revision: "main", path: "onnx/x.onnx" };
const ctx = (extra: Partial<HubRequestContext> = {}): HubRequestContext => ({
  token: undefined,
  retries: 2,
  retryDelayMs: 1,
  timeoutMs: 1000,
  signal: undefined,
  ...extra,
});

describe("errorForStatus", () => {
  it.each([
    // There is no --token for downloads (call's --token is the server's bearer token): the hint names HF_TOKEN.
    [401, undefined, undefined, "download", /401.*set the HF_TOKEN environment variable to a hub access token/],
    [401, undefined, "tok", "download", /the hub rejected the token/],
    [
      401,
      "RepositoryNotFound",
      undefined,
      "model_load",
      /^repository me\/model was not found on the hub \(401\); check the id, or pass a token/,
    ],
    [403, undefined, "tok", "download", /403.*no access to me\/model.*gated model/],
    [404, "RepositoryNotFound", undefined, "model_load", /^repository me\/model was not found on the hub \(404\)/],
    [404, "RevisionNotFound", undefined, "model_load", /^revision main of me\/model was not found/],
    [404, "EntryNotFound", undefined, "model_load", /^onnx\/x\.onnx of me\/model was not found on the hub \(404\)$/],
    [400, undefined, undefined, "download", /^hub answered 400 for onnx\/x\.onnx of me\/model$/],
  ])("%d %s (token %s) → %s", (status, code, token, kind, message) => {
    const res = new Response(null, { status, headers: code === undefined ? {} : { "x-error-code": code } });
    const e = errorForStatus(res, target, token);
    expect(isFlorenceError(e) && e.kind).toBe(kind);
    expect(e.message).toMatch(message);
  });

  it.each([408, 429, 500, 503])("%d is transient", (status) => {
    expect(errorForStatus(new Response(null, { status }), target, undefined)).toBeInstanceOf(TransientError);
  });
});

describe("withRetries", () => {
  it("retries transient failures, then succeeds", async () => {
    const attempts: number[] = [];
    const result = await withRetries(ctx(), target, async (n) => {
      attempts.push(n);
      if (n < 2) throw new TypeError("fetch failed", { cause: new Error("ECONNRESET") });
      return "ok";
    });
    expect([result, attempts]).toEqual(["ok", [0, 1, 2]]);
  });

  it("gives up after the retries with a download error naming the cause", async () => {
    const e = await withRetries(ctx({ retries: 1 }), target, async () => {
      throw new TypeError("terminated", { cause: new Error("other side closed") });
    }).catch((err: unknown) => err);
    expect(isFlorenceError(e) && e.kind).toBe("download");
    expect((e as Error).message).toMatch(
      /^fetching onnx\/x\.onnx of me\/model failed after 2 attempt\(s\): other side closed\./,
    );
  });

  it("names the hub's origin, never its path or credentials", async () => {
    const e = await withRetries(
      ctx({ retries: 0, endpoint: "https://user:secret@mirror.example:8443/hf" }),
      target,
      async () => {
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
      },
    ).catch((err: unknown) => err);
    expect((e as Error).message).toContain("Check that the hub at https://mirror.example:8443 can be reached");
    expect((e as Error).message).not.toMatch(/secret|\/hf/);
  });

  it("does not retry final errors", async () => {
    let calls = 0;
    const e = await withRetries(ctx(), target, async () => {
      calls++;
      throw new FlorenceError("download", "no");
    }).catch((err: unknown) => err);
    expect([calls, (e as Error).message]).toEqual([1, "no"]);
  });

  it("stops with cancelled when the signal aborts during backoff", async () => {
    const controller = new AbortController();
    const e = await withRetries(ctx({ retryDelayMs: 10_000, signal: controller.signal }), target, async () => {
      setTimeout(() => controller.abort(), 5);
      throw new TypeError("fetch failed");
    }).catch((err: unknown) => err);
    expect(isFlorenceError(e) && e.kind).toBe("cancelled");
  });
});
